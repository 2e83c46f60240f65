using Microsoft.Extensions.Time.Testing;

namespace ReId.Search.Tests;

[TestFixture]
public sealed class IdentityLinkerTests
{
    private string _directory = "";
    private EmbeddedSightingStore? _store;
    private readonly FakeTimeProvider _time = new(Synthetic.T0.AddDays(1));

    private EmbeddedSightingStore Store => _store!;

    [SetUp]
    public void Open()
    {
        _directory = Path.Combine(Path.GetTempPath(), "reid-search-tests", "link-" + Guid.NewGuid().ToString("N"));
        _store = EmbeddedSightingStore.Open(_directory);
    }

    [TearDown]
    public async Task Close()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<Guid> AddAndLinkAsync(IdentityLinker linker, Sighting s)
    {
        await Store.AddAsync([s]);
        return await linker.LinkAsync(s.Id);
    }

    [Test]
    public async Task Link_SamePeopleInAnotherOrderWithDistractor_LinksEachPersonAndNotTheDistractor()
    {
        var syn = new Synthetic(21);
        var people = Enumerable.Range(0, 3).Select(_ => syn.Person()).ToArray();
        var linker = new IdentityLinker(Store, new LinkingOptions(), _time);
        var atA = new Guid[3];
        var atB = new Guid[3];
        for (var p = 0; p < 3; p++)
        {
            atA[p] = await AddAndLinkAsync(linker, syn.Sighting("A", p + 1, p, syn.View(people[p])));
        }

        // Camera B sees them in another order (2, 0, 1), with a stranger in between.
        var distractor = await AddAndLinkAsync(linker, syn.Sighting("B", 100, 5.5, syn.View(syn.Person())));
        foreach (var (p, minute) in new[] { (2, 5.0), (0, 6.0), (1, 7.0) })
        {
            atB[p] = await AddAndLinkAsync(linker, syn.Sighting("B", 10 + p, minute, syn.View(people[p])));
        }

        Assert.That(atB, Is.EqualTo(atA));
        Assert.That(atA.Distinct().Count(), Is.EqualTo(3));
        Assert.That(atA, Does.Not.Contain(distractor));
        var identity = await linker.GetIdentityAsync(atA[0]);
        Assert.That(identity.Sightings.Select(s => s.Camera), Is.EqualTo(new[] { "A", "B" }));
        Assert.That(identity.Sightings.Select(s => s.FirstSeen), Is.Ordered);
    }

    [Test]
    public async Task Link_SimultaneousSightingsInNonOverlappingCameras_LinksOnlyOne()
    {
        var syn = new Synthetic(22);
        var person = syn.Person();
        var linker = new IdentityLinker(Store, new LinkingOptions(), _time);
        var first = await AddAndLinkAsync(linker, syn.Sighting("A", 1, 0, syn.View(person)));

        var b = await AddAndLinkAsync(linker, syn.Sighting("B", 1, 2, syn.View(person), durationSeconds: 30));
        var c = await AddAndLinkAsync(linker, syn.Sighting("C", 1, 2.1, syn.View(person), durationSeconds: 30));

        Assert.That(b, Is.EqualTo(first));
        Assert.That(c, Is.Not.EqualTo(first));
        Assert.That((await linker.GetIdentityAsync(first)).Sightings.Select(s => s.Camera), Is.EqualTo(new[] { "A", "B" }));
    }

    [Test]
    public async Task Link_SimultaneousSightingsInOverlappingCameras_LinksBoth()
    {
        var syn = new Synthetic(22);
        var person = syn.Person();
        var linker = new IdentityLinker(Store, new LinkingOptions { OverlappingCameras = [new CameraPair { A = "C", B = "B" }] }, _time);
        var first = await AddAndLinkAsync(linker, syn.Sighting("A", 1, 0, syn.View(person)));

        var b = await AddAndLinkAsync(linker, syn.Sighting("B", 1, 2, syn.View(person), durationSeconds: 30));
        var c = await AddAndLinkAsync(linker, syn.Sighting("C", 1, 2.1, syn.View(person), durationSeconds: 30));

        Assert.That(new[] { b, c }, Is.All.EqualTo(first));
    }

    [Test]
    public async Task Link_OutsideWindow_StartsNewIdentity()
    {
        var syn = new Synthetic(23);
        var person = syn.Person();
        var linker = new IdentityLinker(Store, new LinkingOptions { Window = TimeSpan.FromMinutes(10) }, _time);

        var early = await AddAndLinkAsync(linker, syn.Sighting("A", 1, 0, syn.View(person)));
        var late = await AddAndLinkAsync(linker, syn.Sighting("B", 1, 60, syn.View(person)));

        Assert.That(late, Is.Not.EqualTo(early));
    }

    [Test]
    public async Task Confirm_UnlinkedPair_MergesIdentitiesAndKeepsFeedback()
    {
        var syn = new Synthetic(24);
        var linker = new IdentityLinker(Store, new LinkingOptions(), _time);
        var a = syn.Sighting("A", 1, 0, syn.Person());
        var b = syn.Sighting("B", 1, 5, syn.Person());
        var b2 = syn.Sighting("B", 2, 50, syn.Person());
        var idA = await AddAndLinkAsync(linker, a);
        var idB = await AddAndLinkAsync(linker, b);
        await Store.AddAsync([b2]);
        await Store.SetIdentityAsync([b2.Id], idB);
        Assert.That(idB, Is.Not.EqualTo(idA));

        var merged = await linker.ConfirmAsync(a.Id, b.Id);

        Assert.That(merged, Is.EqualTo(idA));
        Assert.That((await linker.GetIdentityAsync(idA)).Sightings.Select(s => s.Id), Is.EqualTo(new[] { a.Id, b.Id, b2.Id }));
        Assert.That((await linker.GetIdentityAsync(idB)).Sightings, Is.Empty);
        var feedback = (await Store.GetFeedbackAsync()).Single();
        Assert.That(feedback, Is.EqualTo(new LinkFeedback(a.Id, b.Id, LinkDecision.Confirmed, _time.GetUtcNow(), Synthetic.Model)));
    }

    [Test]
    public async Task Reject_LinkedPair_SplitsAndStaysApartAfterReopen()
    {
        var syn = new Synthetic(25);
        var person = syn.Person();
        var linker = new IdentityLinker(Store, new LinkingOptions(), _time);
        var a = syn.Sighting("A", 1, 0, syn.View(person));
        var b = syn.Sighting("B", 1, 5, syn.View(person));
        var idA = await AddAndLinkAsync(linker, a);
        Assert.That(await AddAndLinkAsync(linker, b), Is.EqualTo(idA));

        var idB = await linker.RejectAsync(a.Id, b.Id);

        Assert.That(idB, Is.Not.EqualTo(idA));
        await Store.DisposeAsync();
        _store = EmbeddedSightingStore.Open(_directory);
        Assert.That((await Store.GetAsync(b.Id))!.IdentityId, Is.EqualTo(idB));
        Assert.That((await Store.GetFeedbackAsync()).Single().Decision, Is.EqualTo(LinkDecision.Rejected));

        // Linking b again (already linked) keeps the user's decision.
        var relinked = await new IdentityLinker(Store, new LinkingOptions(), _time).LinkAsync(b.Id);
        Assert.That(relinked, Is.EqualTo(idB));
    }

    [Test]
    public async Task Confirm_DifferentModelVersions_ThrowsAndRecordsNothing()
    {
        var syn = new Synthetic(26);
        var linker = new IdentityLinker(Store, new LinkingOptions(), _time);
        var a = syn.Sighting("A", 1, 0, syn.Person());
        var b = syn.Sighting("B", 1, 0, syn.Person(), model: "drsa-test-v2");
        await Store.AddAsync([a, b]);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => linker.ConfirmAsync(a.Id, b.Id));

        Assert.That(e!.Message, Does.Contain("different encoder model versions"));
        Assert.That(await Store.GetFeedbackAsync(), Is.Empty);
    }

    [Test]
    public void LinkingOptions_BadWindow_NamesTheKey()
    {
        var e = Assert.Throws<ArgumentException>(() => new IdentityLinker(Store, new LinkingOptions { Window = TimeSpan.Zero }, _time));

        Assert.That(e!.Message, Does.Contain("Search:Linking:Window"));
    }
}

[TestFixture]
public sealed class SearchOptionsTests
{
    [Test]
    public void OpenStore_UnknownStoreName_NamesKeyAndChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => new SearchOptions { Store = "faiss" }.OpenStore());

        Assert.That(e!.Message, Does.Contain("Search:Store").And.Contain("faiss").And.Contain("embedded"));
    }

    [Test]
    public async Task OpenStore_Embedded_OpensInConfiguredDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "reid-search-tests", "opts-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var store = new SearchOptions { Directory = dir }.OpenStore())
            {
                Assert.That(store, Is.InstanceOf<EmbeddedSightingStore>());
            }

            Assert.That(File.Exists(Path.Combine(dir, "sightings.db")));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Retention_NegativeAge_NamesTheKey()
    {
        var e = Assert.Throws<ArgumentException>(() => new RetentionOptions { CropMaxAge = TimeSpan.FromDays(-1) }.Validated());

        Assert.That(e!.Message, Does.Contain("Search:Retention:CropMaxAge"));
    }
}

[TestFixture]
public sealed class RetentionTests
{
    [Test]
    public async Task Purge_AsTimePasses_DropsCropsThenSightings()
    {
        var dir = Path.Combine(Path.GetTempPath(), "reid-search-tests", "ret-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var store = EmbeddedSightingStore.Open(dir);
            var time = new FakeTimeProvider(Synthetic.T0.AddMinutes(5));
            var retention = new Retention(store, new RetentionOptions { SightingMaxAge = TimeSpan.FromDays(30), CropMaxAge = TimeSpan.FromDays(7) }, time);
            var syn = new Synthetic(41);
            var s = syn.Sighting("a", 1, 0, syn.Person());
            await store.AddAsync([s]);
            await retention.KeepCropsAsync(s.Id, [SightingStoreContract.Crop(s.FirstSeen, 5)]);

            time.Advance(TimeSpan.FromDays(6));
            var early = await retention.PurgeAsync();
            time.Advance(TimeSpan.FromDays(2));
            var cropsGone = await retention.PurgeAsync();
            var cropsAfter = await store.GetCropsAsync(s.Id);
            time.Advance(TimeSpan.FromDays(23));
            var sightingGone = await retention.PurgeAsync();

            Assert.That(early, Is.EqualTo(new PurgeResult(0, 0)));
            Assert.That(cropsGone, Is.EqualTo(new PurgeResult(0, 1)));
            Assert.That(cropsAfter, Is.Empty);
            Assert.That(sightingGone, Is.EqualTo(new PurgeResult(1, 0)));
            Assert.That(await store.CountAsync(), Is.Zero);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
