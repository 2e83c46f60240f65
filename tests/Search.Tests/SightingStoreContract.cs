namespace ReId.Search.Tests;

/// <summary>The behaviour every <see cref="ISightingStore"/> must show; one concrete fixture per store.</summary>
public abstract class SightingStoreContract
{
    private ISightingStore? _store;

    protected ISightingStore Store => _store ?? throw new InvalidOperationException("no store");

    /// <summary>Opens a new, empty store for one test.</summary>
    protected abstract Task<ISightingStore> CreateAsync();

    /// <summary>Closes <paramref name="store"/> and opens the same data again.</summary>
    protected abstract Task<ISightingStore> ReopenAsync(ISightingStore store);

    /// <summary>Removes what <see cref="CreateAsync"/> made.</summary>
    protected abstract Task CleanUpAsync();

    [SetUp]
    public async Task OpenStore() => _store = await CreateAsync();

    [TearDown]
    public async Task CloseStore()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
            _store = null;
        }

        await CleanUpAsync();
    }

    [Test]
    public async Task Add_ThenGet_ReturnsStoredFieldsAndThumbnail()
    {
        var syn = new Synthetic(1);
        var s = syn.Sighting("gate", 4, 1, syn.Person());
        await Store.AddAsync([s]);

        var back = await Store.GetAsync(s.Id);

        Assert.That(back, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(back!.Camera, Is.EqualTo("gate"));
            Assert.That(back.Track, Is.EqualTo(4));
            Assert.That(back.FirstSeen, Is.EqualTo(s.FirstSeen));
            Assert.That(back.LastSeen, Is.EqualTo(s.LastSeen));
            Assert.That(back.ModelVersion, Is.EqualTo(Synthetic.Model));
            Assert.That(back.Samples, Is.EqualTo(s.Samples));
            Assert.That(back.Embedding, Is.EqualTo(s.Embedding).Within(1e-5f));
            Assert.That(back.Thumbnail, Is.EqualTo(s.Thumbnail));
        });
        Assert.That(await Store.GetThumbnailAsync(s.Id), Is.EqualTo(s.Thumbnail));
        Assert.That(await Store.CountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task Search_NearestFirst_ReturnsPersonAboveStrangers()
    {
        var syn = new Synthetic(2);
        var person = syn.Person();
        var target = syn.Sighting("a", 1, 0, syn.View(person));
        var strangers = Enumerable.Range(0, 30).Select(i => syn.Sighting("b", 10 + i, i, syn.Person())).ToList();
        await Store.AddAsync([.. strangers, target]);

        var hits = await Store.SearchAsync(new SightingQuery(Synthetic.Model, syn.View(person)) { K = 5 });

        Assert.That(hits, Has.Count.EqualTo(5));
        Assert.That(hits[0].SightingId, Is.EqualTo(target.Id));
        Assert.That(hits[0].Score, Is.GreaterThan(0.8f));
        Assert.That(hits.Select(h => h.Score), Is.Ordered.Descending);
        Assert.That(hits[0].Box, Is.EqualTo(target.RepresentativeBox));
        Assert.That(hits[0].HasThumbnail, Is.True);
    }

    [Test]
    public async Task Search_K_LimitsNumberOfHits()
    {
        var syn = new Synthetic(3);
        var person = syn.Person();
        await Store.AddAsync(Enumerable.Range(0, 12).Select(i => syn.Sighting("c" + (i % 3), i, i, syn.View(person))).ToList());

        var hits = await Store.SearchAsync(new SightingQuery(Synthetic.Model, person) { K = 4 });

        Assert.That(hits, Has.Count.EqualTo(4));
    }

    [Test]
    public async Task Search_CameraAndTimeFilters_ReturnOnlyMatchingSightings()
    {
        var syn = new Synthetic(4);
        var person = syn.Person();
        var all = new List<Sighting>();
        for (var i = 0; i < 20; i++)
        {
            all.Add(syn.Sighting("cam" + (i % 4), i, i * 10, syn.View(person), durationSeconds: 60));
        }

        await Store.AddAsync(all);
        var from = Synthetic.T0.AddMinutes(45);
        var to = Synthetic.T0.AddMinutes(125);

        var hits = await Store.SearchAsync(new SightingQuery(Synthetic.Model, person) { K = 100, Cameras = ["cam1", "cam2"], From = from, To = to });

        var expected = all.Where(s => s.Camera is "cam1" or "cam2" && s.LastSeen >= from && s.FirstSeen <= to).Select(s => s.Id);
        Assert.That(hits.Select(h => h.SightingId), Is.EquivalentTo(expected));
        Assert.That(hits, Is.Not.Empty);
    }

    [Test]
    public async Task Search_MinSimilarity_DropsWeakerHits()
    {
        var syn = new Synthetic(5);
        var person = syn.Person();
        var same = syn.Sighting("a", 1, 0, syn.View(person));
        var other = syn.Sighting("a", 2, 1, syn.Person());
        await Store.AddAsync([same, other]);

        var hits = await Store.SearchAsync(new SightingQuery(Synthetic.Model, person) { MinSimilarity = 0.6f });

        Assert.That(hits.Select(h => h.SightingId), Is.EqualTo(new[] { same.Id }));
    }

    [Test]
    public async Task WhereElse_FromSighting_ExcludesOwnTrackAndOwnCameraByDefault()
    {
        var syn = new Synthetic(6);
        var person = syn.Person();
        var query = syn.Sighting("lobby", 7, 0, syn.View(person));
        var sameTrackLater = syn.Sighting("lobby", 7, 1, syn.View(person));
        var sameCameraOtherTrack = syn.Sighting("lobby", 8, 30, syn.View(person));
        var elsewhere = syn.Sighting("street", 1, 10, syn.View(person));
        await Store.AddAsync([query, sameTrackLater, sameCameraOtherTrack, elsewhere]);
        var search = new WhereElseSearch(Store);

        var byDefault = await search.FromSightingAsync(query.Id, new WhereElseOptions());
        var withSameCamera = await search.FromSightingAsync(query.Id, new WhereElseOptions { IncludeSameCamera = true });

        Assert.That(byDefault.All.Select(m => m.SightingId), Is.EqualTo(new[] { elsewhere.Id }));
        Assert.That(withSameCamera.All.Select(m => m.SightingId), Is.EquivalentTo(new[] { elsewhere.Id, sameCameraOtherTrack.Id }));
    }

    [Test]
    public async Task WhereElse_Results_GroupedPerCameraAndOrderedInTime()
    {
        var syn = new Synthetic(7);
        var person = syn.Person();
        var query = syn.Sighting("q", 1, 0, syn.View(person));
        var b2 = syn.Sighting("b", 2, 50, syn.View(person));
        var a1 = syn.Sighting("a", 3, 20, syn.View(person));
        var b1 = syn.Sighting("b", 4, 10, syn.View(person));
        var a2 = syn.Sighting("a", 5, 40, syn.View(person));
        await Store.AddAsync([query, b2, a1, b1, a2, syn.Sighting("a", 9, 5, syn.Person())]);

        var result = await new WhereElseSearch(Store).FromSightingAsync(query.Id, new WhereElseOptions { MinSimilarity = 0.6f });

        Assert.That(result.Cameras.Select(c => c.Camera), Is.EqualTo(new[] { "b", "a" }));
        Assert.That(result.Cameras[0].Matches.Select(m => m.SightingId), Is.EqualTo(new[] { b1.Id, b2.Id }));
        Assert.That(result.Cameras[1].Matches.Select(m => m.SightingId), Is.EqualTo(new[] { a1.Id, a2.Id }));
        var first = result.Cameras[0].Matches[0];
        Assert.Multiple(() =>
        {
            Assert.That(first.Score, Is.GreaterThan(0.6f));
            Assert.That(first.FirstSeen, Is.EqualTo(b1.FirstSeen));
            Assert.That(first.LastSeen, Is.EqualTo(b1.LastSeen));
            Assert.That(first.Box, Is.EqualTo(b1.RepresentativeBox));
            Assert.That(first.HasThumbnail, Is.True);
        });
    }

    [Test]
    public async Task WhereElse_FromSeveralEmbeddings_FindsThePersonInEveryCamera()
    {
        var syn = new Synthetic(8);
        var person = syn.Person();
        var seen = new[] { syn.Sighting("a", 1, 0, syn.View(person)), syn.Sighting("b", 1, 5, syn.View(person)) };
        await Store.AddAsync([.. seen, .. Enumerable.Range(0, 20).Select(i => syn.Sighting("c", 10 + i, i, syn.Person()))]);

        var result = await new WhereElseSearch(Store).FromEmbeddingsAsync(Synthetic.Model,
            [syn.View(person, 0.5f), syn.View(person, 0.5f), syn.View(person, 0.5f)], new WhereElseOptions { MinSimilarity = 0.7f });

        Assert.That(result.All.Select(m => m.SightingId), Is.EquivalentTo(seen.Select(s => s.Id)));
    }

    [Test]
    public async Task Search_OtherModelVersion_IsNeverCompared()
    {
        var syn = new Synthetic(9);
        var person = syn.Person();
        var v1 = syn.Sighting("a", 1, 0, person);
        var v2 = syn.Sighting("b", 1, 0, person, model: "drsa-test-v2");
        await Store.AddAsync([v1, v2]);

        var hitsV1 = await Store.SearchAsync(new SightingQuery(Synthetic.Model, person) { K = 10 });
        var hitsV3 = await Store.SearchAsync(new SightingQuery("drsa-test-v3", person) { K = 10 });
        var whereElse = await new WhereElseSearch(Store).FromSightingAsync(v1.Id, new WhereElseOptions { MinSimilarity = -1f });

        Assert.That(hitsV1.Select(h => h.SightingId), Is.EqualTo(new[] { v1.Id }));
        Assert.That(hitsV3, Is.Empty);
        Assert.That(whereElse.All, Is.Empty);
        Assert.That(await Store.CountAsync("drsa-test-v2"), Is.EqualTo(1));
    }

    [Test]
    public async Task Purge_OldSightings_DeletesThemWithThumbnailsAndCrops()
    {
        var syn = new Synthetic(10);
        var person = syn.Person();
        var old = syn.Sighting("a", 1, 0, syn.View(person));
        var recent = syn.Sighting("a", 2, 600, syn.View(person));
        await Store.AddAsync([old, recent]);
        await Store.KeepCropsAsync(old.Id, [Crop(old.FirstSeen, 1)], Synthetic.T0.AddDays(1));
        await Store.KeepCropsAsync(recent.Id, [Crop(recent.FirstSeen, 2)], Synthetic.T0.AddDays(1));

        var purged = await Store.PurgeAsync(Synthetic.T0.AddMinutes(300), Synthetic.T0);

        Assert.That(purged.Sightings, Is.EqualTo(1));
        Assert.That(await Store.GetAsync(old.Id), Is.Null);
        Assert.That(await Store.GetThumbnailAsync(old.Id), Is.Null);
        Assert.That(await Store.GetCropsAsync(old.Id), Is.Empty);
        Assert.That(await Store.GetCropsAsync(recent.Id), Has.Count.EqualTo(1));
        var hits = await Store.SearchAsync(new SightingQuery(Synthetic.Model, person));
        Assert.That(hits.Select(h => h.SightingId), Is.EqualTo(new[] { recent.Id }));
    }

    [Test]
    public async Task Purge_ExpiredCrops_DeletesCropsButKeepsSighting()
    {
        var syn = new Synthetic(11);
        var s = syn.Sighting("a", 1, 0, syn.Person());
        await Store.AddAsync([s]);
        await Store.KeepCropsAsync(s.Id, [Crop(s.FirstSeen, 3), Crop(s.LastSeen, 4)], Synthetic.T0);
        Assert.That((await Store.GetCropsAsync(s.Id)).Select(c => c.Bgr[0]), Is.EqualTo(new byte[] { 3, 4 }));

        var purged = await Store.PurgeAsync(Synthetic.T0.AddDays(-1), Synthetic.T0.AddHours(1));

        Assert.That(purged, Is.EqualTo(new PurgeResult(0, 2)));
        Assert.That(await Store.GetCropsAsync(s.Id), Is.Empty);
        Assert.That(await Store.GetAsync(s.Id), Is.Not.Null);
    }

    [Test]
    public async Task EraseIdentity_RemovesEverySightingFromSearchAtOnce()
    {
        var syn = new Synthetic(12);
        var person = syn.Person();
        var mine = new[] { syn.Sighting("a", 1, 0, syn.View(person)), syn.Sighting("b", 1, 5, syn.View(person)) };
        var other = syn.Sighting("c", 1, 5, syn.View(person));
        await Store.AddAsync([.. mine, other]);
        var identity = Guid.CreateVersion7();
        await Store.SetIdentityAsync(mine.Select(s => s.Id).ToList(), identity);
        await Store.KeepCropsAsync(mine[0].Id, [Crop(mine[0].FirstSeen, 1)], Synthetic.T0);

        var erased = await Store.EraseIdentityAsync(identity);

        Assert.That(erased, Is.EqualTo(2));
        var hits = await Store.SearchAsync(new SightingQuery(Synthetic.Model, person) { K = 10 });
        Assert.That(hits.Select(h => h.SightingId), Is.EqualTo(new[] { other.Id }));
        Assert.That(await Store.GetIdentitySightingsAsync(identity), Is.Empty);
        Assert.That(await Store.GetCropsAsync(mine[0].Id), Is.Empty);
        Assert.That(await Store.GetThumbnailAsync(mine[1].Id), Is.Null);
    }

    [Test]
    public async Task GetIdentitySightings_ListsThemInTimeOrder()
    {
        var syn = new Synthetic(13);
        var person = syn.Person();
        var late = syn.Sighting("a", 1, 30, syn.View(person));
        var early = syn.Sighting("b", 1, 10, syn.View(person));
        var middle = syn.Sighting("c", 1, 20, syn.View(person));
        await Store.AddAsync([late, early, middle]);
        var identity = Guid.CreateVersion7();
        await Store.SetIdentityAsync([late.Id, early.Id, middle.Id], identity);

        var sightings = await Store.GetIdentitySightingsAsync(identity);

        Assert.That(sightings.Select(s => s.Id), Is.EqualTo(new[] { early.Id, middle.Id, late.Id }));
        Assert.That(sightings.All(s => s.IdentityId == identity));
        var hits = await Store.SearchAsync(new SightingQuery(Synthetic.Model, person) { K = 1 });
        Assert.That(hits[0].IdentityId, Is.EqualTo(identity));
    }

    [Test]
    public async Task List_NewestFirst_AppliesCameraTimeModelFiltersAndLimit()
    {
        var syn = new Synthetic(21);
        var all = Enumerable.Range(0, 12).Select(i => syn.Sighting("cam" + (i % 3), i, i * 10, syn.Person(), durationSeconds: 60)).ToList();
        var other = syn.Sighting("cam0", 99, 500, syn.Person(), model: "drsa-other-v2");
        await Store.AddAsync([.. all, other]);

        var everything = await Store.ListAsync(new SightingListQuery { Limit = 100 });
        var newest = await Store.ListAsync(new SightingListQuery { ModelVersion = Synthetic.Model, Limit = 3 });
        var from = Synthetic.T0.AddMinutes(25);
        var to = Synthetic.T0.AddMinutes(85);
        var filtered = await Store.ListAsync(new SightingListQuery { ModelVersion = Synthetic.Model, Cameras = ["cam1", "cam2"], From = from, To = to, Limit = 100 });

        Assert.That(everything.Select(s => s.Id), Is.EqualTo(new[] { other }.Concat(all.AsEnumerable().Reverse()).Select(s => s.Id)));
        Assert.That(newest.Select(s => s.Id), Is.EqualTo(new[] { all[11].Id, all[10].Id, all[9].Id }));
        var expected = all.Where(s => s.Camera is "cam1" or "cam2" && s.LastSeen >= from && s.FirstSeen <= to).OrderByDescending(s => s.LastSeen).Select(s => s.Id).ToList();
        Assert.That(filtered.Select(s => s.Id), Is.EqualTo(expected));
        Assert.That(expected, Is.Not.Empty);
        var back = newest[0];
        Assert.Multiple(() =>
        {
            Assert.That(back.Camera, Is.EqualTo(all[11].Camera));
            Assert.That(back.Track, Is.EqualTo(11));
            Assert.That(back.FirstSeen, Is.EqualTo(all[11].FirstSeen));
            Assert.That(back.Samples, Is.EqualTo(all[11].Samples));
            Assert.That(back.Embedding, Is.EqualTo(all[11].Embedding).Within(1e-5f));
            Assert.That(back.ModelVersion, Is.EqualTo(Synthetic.Model));
        });
        Assert.That(await Store.ListAsync(new SightingListQuery { Cameras = [] }), Is.Empty);
        Assert.That(await Store.ListAsync(new SightingListQuery { ModelVersion = "never-stored" }), Is.Empty);
    }

    [Test]
    public async Task ListByModelVersion_PagesThroughOneModelOnceEach_AddsMeanwhileDoNotDisturb()
    {
        var syn = new Synthetic(21);
        var old = Enumerable.Range(0, 7).Select(i => syn.Sighting(i % 2 == 0 ? "gate" : "hall", i, i, syn.Person())).ToList();
        var other = Enumerable.Range(0, 3).Select(i => syn.Sighting("gate", 100 + i, i, syn.Person(), model: "drsa-test-v2")).ToList();
        await Store.AddAsync([.. old, .. other]);

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Store.ListByModelVersionAsync(new ModelSightingsQuery { ModelVersion = Synthetic.Model, After = cursor, Limit = 3 });
            Assert.That(page.Sightings, Has.Count.LessThanOrEqualTo(3));
            Assert.That(page.Sightings.All(x => x.ModelVersion == Synthetic.Model && x.Embedding.Length == Sighting.Dimension), Is.True);
            seen.AddRange(page.Sightings.Select(x => x.Id));
            cursor = page.Next;
            pages++;
            // A re-embedding pass stores the new model's sightings while it walks the old ones.
            await Store.AddAsync([syn.Sighting("gate", 200 + pages, pages, syn.Person(), model: "drsa-test-v2")]);
        }
        while (cursor is not null && pages < 20);

        Assert.That(seen, Is.EquivalentTo(old.Select(x => x.Id)), "each sighting of the model exactly once");
        Assert.That(pages, Is.InRange(3, 4));
        Assert.That(await Store.ListModelVersionsAsync(), Is.EqualTo(new[] { Synthetic.Model, "drsa-test-v2" }));
        var none = await Store.ListByModelVersionAsync(new ModelSightingsQuery { ModelVersion = "never-stored" });
        Assert.That((none.Sightings.Count, none.Next), Is.EqualTo((0, (string?)null)));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ListByModelVersionAsync(new ModelSightingsQuery { ModelVersion = Synthetic.Model, Limit = 0 }));
    }

    [Test]
    public async Task ListIdentities_CountsSightingsAndCameras_MostRecentFirst()
    {
        var syn = new Synthetic(22);
        var a1 = syn.Sighting("door", 1, 0, syn.Person());
        var a2 = syn.Sighting("hall", 2, 5, syn.Person());
        var a3 = syn.Sighting("hall", 3, 8, syn.Person());
        var b1 = syn.Sighting("door", 4, 30, syn.Person());
        var c1 = syn.Sighting("door", 5, 1, syn.Person());
        var c2 = syn.Sighting("yard", 6, 2, syn.Person(), model: "drsa-other-v2");
        var loose = syn.Sighting("yard", 7, 60, syn.Person());
        await Store.AddAsync([a1, a2, a3, b1, c1, c2, loose]);
        Guid a = Guid.CreateVersion7(), b = Guid.CreateVersion7(), c = Guid.CreateVersion7();
        await Store.SetIdentityAsync([a1.Id, a2.Id, a3.Id], a);
        await Store.SetIdentityAsync([b1.Id], b);
        await Store.SetIdentityAsync([c1.Id, c2.Id], c);

        var all = await Store.ListIdentitiesAsync(new IdentityListQuery());
        var crossCamera = await Store.ListIdentitiesAsync(new IdentityListQuery { MinCameras = 2 });
        var oneModel = await Store.ListIdentitiesAsync(new IdentityListQuery { ModelVersion = Synthetic.Model, MinCameras = 2 });
        var first = await Store.ListIdentitiesAsync(new IdentityListQuery { Limit = 1 });

        Assert.That(all, Is.EqualTo(new[]
        {
            new IdentitySummary(b, 1, 1, b1.FirstSeen, b1.LastSeen),
            new IdentitySummary(a, 3, 2, a1.FirstSeen, a3.LastSeen),
            new IdentitySummary(c, 2, 2, c1.FirstSeen, c2.LastSeen),
        }));
        Assert.That(crossCamera.Select(i => i.IdentityId), Is.EqualTo(new[] { a, c }));
        Assert.That(oneModel.Select(i => i.IdentityId), Is.EqualTo(new[] { a }));
        Assert.That(first.Select(i => i.IdentityId), Is.EqualTo(new[] { b }));
    }

    [Test]
    public async Task List_BadLimitOrRange_ThrowsClearErrors()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Store.ListAsync(new SightingListQuery { Limit = 0 }));
        Assert.That(e!.Message, Does.Contain("Limit is 0"));
        e = await Assert.ThrowsAsync<ArgumentException>(() => Store.ListAsync(new SightingListQuery { From = Synthetic.T0, To = Synthetic.T0.AddHours(-1) }));
        Assert.That(e!.Message, Does.Contain("inverted"));
        e = await Assert.ThrowsAsync<ArgumentException>(() => Store.ListIdentitiesAsync(new IdentityListQuery { MinCameras = 0 }));
        Assert.That(e!.Message, Does.Contain("MinCameras is 0"));
    }

    [Test]
    public async Task Reopen_KeepsSightingsCropsIdentitiesAndFeedback()
    {
        var syn = new Synthetic(14);
        var person = syn.Person();
        var a = syn.Sighting("a", 1, 0, syn.View(person));
        var b = syn.Sighting("b", 1, 5, syn.View(person));
        await Store.AddAsync([a, b]);
        var identity = Guid.CreateVersion7();
        await Store.SetIdentityAsync([a.Id], identity);
        await Store.KeepCropsAsync(b.Id, [Crop(b.FirstSeen, 9)], Synthetic.T0);
        var feedback = new LinkFeedback(a.Id, b.Id, LinkDecision.Rejected, Synthetic.T0.AddHours(1), Synthetic.Model);
        await Store.AddFeedbackAsync(feedback);

        _store = await ReopenAsync(Store);

        var hits = await Store.SearchAsync(new SightingQuery(Synthetic.Model, person) { K = 10 });
        Assert.That(hits.Select(h => h.SightingId), Is.EquivalentTo(new[] { a.Id, b.Id }));
        Assert.That((await Store.GetAsync(a.Id))!.IdentityId, Is.EqualTo(identity));
        Assert.That((await Store.GetCropsAsync(b.Id)).Single().Bgr[0], Is.EqualTo(9));
        Assert.That(await Store.GetFeedbackAsync(), Is.EqualTo(new[] { feedback }));
    }

    [Test]
    public async Task Add_WrongSizeOrNaNEmbedding_ThrowsAndStoresNothingOfTheBatch()
    {
        var syn = new Synthetic(15);
        var good = syn.Sighting("a", 1, 0, syn.Person());
        var shortVector = syn.Sighting("a", 2, 0, new float[64]);
        var nan = syn.Person();
        nan[17] = float.NaN;
        var withNaN = syn.Sighting("a", 3, 0, nan);

        var e1 = await Assert.ThrowsAsync<ArgumentException>(() => Store.AddAsync([good, shortVector]));
        var e2 = await Assert.ThrowsAsync<ArgumentException>(() => Store.AddAsync([good, withNaN]));
        var e3 = await Assert.ThrowsAsync<ArgumentException>(() => Store.AddAsync([syn.Sighting("a", 4, 0, new float[Sighting.Dimension])]));

        Assert.That(e1!.Message, Does.Contain("64 values").And.Contain("128"));
        Assert.That(e2!.Message, Does.Contain("value 17").And.Contain("NaN"));
        Assert.That(e3!.Message, Does.Contain("no direction"));
        Assert.That(await Store.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Add_IdAlreadyStored_ThrowsAndStoresNothingOfTheBatch()
    {
        var syn = new Synthetic(16);
        var first = syn.Sighting("a", 1, 0, syn.Person());
        await Store.AddAsync([first]);
        var fresh = syn.Sighting("a", 2, 0, syn.Person());

        var e = await Assert.ThrowsAsync<ArgumentException>(() => Store.AddAsync([fresh, first with { Camera = "changed" }]));

        Assert.That(e!.Message, Does.Contain(first.Id.ToString()).And.Contain("already stored"));
        Assert.That(await Store.CountAsync(), Is.EqualTo(1));
        Assert.That((await Store.GetAsync(first.Id))!.Camera, Is.EqualTo("a"));
    }

    [Test]
    public async Task UnknownSightingId_ThrowsNotFoundAndChangesNothing()
    {
        var syn = new Synthetic(17);
        var s = syn.Sighting("a", 1, 0, syn.Person());
        await Store.AddAsync([s]);
        var unknown = Guid.CreateVersion7();

        var whereElse = await Assert.ThrowsAsync<SightingNotFoundException>(() => new WhereElseSearch(Store).FromSightingAsync(unknown, new WhereElseOptions()));
        await Assert.ThrowsAsync<SightingNotFoundException>(() => Store.SetIdentityAsync([s.Id, unknown], Guid.CreateVersion7()));
        await Assert.ThrowsAsync<SightingNotFoundException>(() => Store.KeepCropsAsync(unknown, [Crop(s.FirstSeen, 1)], Synthetic.T0));

        Assert.That(whereElse!.Message, Does.Contain(unknown.ToString()));
        Assert.That((await Store.GetAsync(s.Id))!.IdentityId, Is.Null);
        Assert.That(await Store.GetAsync(unknown), Is.Null);
        Assert.That(await Store.GetCropsAsync(unknown), Is.Empty);
    }

    [Test]
    public async Task Query_BadInput_ThrowsClearErrors()
    {
        var syn = new Synthetic(18);
        var s = syn.Sighting("a", 1, 0, syn.Person());
        await Store.AddAsync([s]);
        var search = new WhereElseSearch(Store);

        var empty = await Assert.ThrowsAsync<ArgumentException>(() => search.FromEmbeddingsAsync(Synthetic.Model, [], new WhereElseOptions()));
        var inverted = await Assert.ThrowsAsync<ArgumentException>(() => search.FromSightingAsync(s.Id,
            new WhereElseOptions { From = Synthetic.T0.AddHours(2), To = Synthetic.T0 }));
        var wrongSize = await Assert.ThrowsAsync<ArgumentException>(() => search.FromEmbeddingsAsync(Synthetic.Model, [new float[3]], new WhereElseOptions()));
        var badK = await Assert.ThrowsAsync<ArgumentException>(() => Store.SearchAsync(new SightingQuery(Synthetic.Model, s.Embedding) { K = 0 }));
        var badCrop = await Assert.ThrowsAsync<ArgumentException>(() => Store.KeepCropsAsync(s.Id, [new KeptCrop(s.FirstSeen, new byte[10])], Synthetic.T0));

        Assert.That(empty!.Message, Does.Contain("No embedding"));
        Assert.That(inverted!.Message, Does.Contain("inverted"));
        Assert.That(wrongSize!.Message, Does.Contain("3 values"));
        Assert.That(badK!.Message, Does.Contain("K is 0"));
        Assert.That(badCrop!.Message, Does.Contain("10 bytes"));
        Assert.That(await Store.GetCropsAsync(s.Id), Is.Empty);
        Assert.That(await Store.CountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task Feedback_IsKeptInOrder()
    {
        var a = Guid.CreateVersion7();
        var b = Guid.CreateVersion7();
        var f1 = new LinkFeedback(a, b, LinkDecision.Confirmed, Synthetic.T0, Synthetic.Model);
        var f2 = new LinkFeedback(b, a, LinkDecision.Rejected, Synthetic.T0.AddMinutes(1), Synthetic.Model);

        await Store.AddFeedbackAsync(f1);
        await Store.AddFeedbackAsync(f2);

        Assert.That(await Store.GetFeedbackAsync(), Is.EqualTo(new[] { f1, f2 }));
    }

    [Test]
    public async Task Add_ConcurrentWithSearches_StoresEverythingAndSearchesSucceed()
    {
        var person = new Synthetic(19).Person();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var syn = new Synthetic(100 + w);
            for (var b = 0; b < 10; b++)
            {
                await Store.AddAsync(Enumerable.Range(0, 20).Select(i => syn.Sighting("w" + w, b * 20 + i, b, syn.View(person))).ToList());
            }
        })).ToList();
        var searches = 0;
        var reader = Task.Run(async () =>
        {
            // At least one search, even when the writers finish before this task starts on a busy machine.
            do
            {
                await Store.SearchAsync(new SightingQuery(Synthetic.Model, person) { K = 5 });
                searches++;
            }
            while (!writers.TrueForAll(t => t.IsCompleted));
        });

        await Task.WhenAll([.. writers, reader]);

        Assert.That(await Store.CountAsync(), Is.EqualTo(800));
        Assert.That(searches, Is.Positive);
        Assert.That(await Store.SearchAsync(new SightingQuery(Synthetic.Model, person) { K = 800 }), Has.Count.EqualTo(800));
    }

    internal static KeptCrop Crop(DateTimeOffset time, byte fill)
    {
        var bytes = new byte[KeptCrop.ByteLength];
        Array.Fill(bytes, fill);
        return new KeptCrop(time, bytes);
    }
}
