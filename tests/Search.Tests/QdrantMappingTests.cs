using Grpc.Core;
using Qdrant.Client.Grpc;

namespace ReId.Search.Tests;

[TestFixture]
public sealed class QdrantMappingTests
{
    private string _side = "";
    private readonly List<QdrantSightingStore> _stores = [];

    [SetUp]
    public void SetUp() => _side = Path.Combine(Path.GetTempPath(), "reid-search-tests", "qside-" + Guid.NewGuid().ToString("N"), "side.db");

    [TearDown]
    public async Task TearDown()
    {
        foreach (var s in _stores)
        {
            await s.DisposeAsync();
        }

        _stores.Clear();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var dir = Path.GetDirectoryName(_side)!;
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private (QdrantSightingStore Store, FakeQdrantClient Fake) Create(int batch = 256, int retries = 2, int listPage = 512)
    {
        var (client, fake) = FakeQdrantClient.Create();
        var store = new QdrantSightingStore(client, new QdrantStoreOptions
        {
            Url = new Uri("http://qdrant.test:6334"),
            UpsertBatchSize = batch,
            Retries = retries,
            RetryDelay = TimeSpan.Zero,
            SideStorePath = _side,
        }, TimeProvider.System, null, null)
        {
            ListPageSize = listPage,
        };
        _stores.Add(store);
        return (store, fake);
    }

    private static Func<string, object?[], object?> Server(bool exists, ulong size = 128, Distance distance = Distance.Cosine) => (name, args) => name switch
    {
        "CollectionExistsAsync" => Task.FromResult(exists),
        "GetCollectionInfoAsync" => Task.FromResult(new CollectionInfo
        {
            Config = new CollectionConfig { Params = new CollectionParams { VectorsConfig = new VectorsConfig { Params = new VectorParams { Size = size, Distance = distance } } } },
        }),
        "CreateCollectionAsync" => Task.CompletedTask,
        "CreatePayloadIndexAsync" or "UpsertAsync" => Task.FromResult(new UpdateResult { Status = UpdateStatus.Completed }),
        "RetrieveAsync" => Task.FromResult<IReadOnlyList<RetrievedPoint>>([]),
        _ => throw new NotSupportedException($"unexpected Qdrant call {name}"),
    };

    [Test]
    public async Task Add_NewModelVersion_CreatesCosine128CollectionWithPayloadIndexes()
    {
        var (store, fake) = Create();
        fake.Respond = Server(exists: false);
        var syn = new Synthetic(31);

        await store.AddAsync([syn.Sighting("a", 1, 0, syn.Person())]);

        var create = fake.ArgsOf("CreateCollectionAsync").Single();
        Assert.That(create[0], Is.EqualTo(store.CollectionName(Synthetic.Model)));
        Assert.That(create[1], Is.EqualTo(new VectorParams { Size = 128, Distance = Distance.Cosine }));
        var indexes = fake.ArgsOf("CreatePayloadIndexAsync").Select(a => ((string)a[1]!, (PayloadSchemaType)a[2]!)).ToList();
        Assert.That(indexes, Is.EquivalentTo(new[]
        {
            ("camera", PayloadSchemaType.Keyword), ("track", PayloadSchemaType.Integer), ("first_seen", PayloadSchemaType.Integer),
            ("last_seen", PayloadSchemaType.Integer), ("identity", PayloadSchemaType.Keyword),
        }));
    }

    [Test]
    public async Task Add_600Sightings_UpsertsInWaitedBatchesWithMappedPayload()
    {
        var (store, fake) = Create(batch: 256);
        fake.Respond = Server(exists: true);
        var syn = new Synthetic(32);
        var sightings = Enumerable.Range(0, 600).Select(i => syn.Sighting("cam" + (i % 7), i, i, syn.Person())).ToList();

        await store.AddAsync(sightings);

        var upserts = fake.ArgsOf("UpsertAsync").ToList();
        Assert.That(upserts.Select(a => ((IReadOnlyList<PointStruct>)a[1]!).Count), Is.EqualTo(new[] { 256, 256, 88 }));
        Assert.That(upserts.All(a => (bool)a[2]!), "every upsert waits for the server");
        var point = ((IReadOnlyList<PointStruct>)upserts[0][1]!)[3];
        var s = sightings[3];
        Assert.Multiple(() =>
        {
            Assert.That(point.Id.Uuid, Is.EqualTo(s.Id.ToString()));
            Assert.That(point.Vectors.Vector.Dense.Data, Has.Count.EqualTo(128));
            Assert.That(point.Payload["camera"].StringValue, Is.EqualTo("cam3"));
            Assert.That(point.Payload["track"].IntegerValue, Is.EqualTo(3));
            Assert.That(point.Payload["first_seen"].IntegerValue, Is.EqualTo(s.FirstSeen.ToUnixTimeMilliseconds()));
            Assert.That(point.Payload["last_seen"].IntegerValue, Is.EqualTo(s.LastSeen.ToUnixTimeMilliseconds()));
            Assert.That(point.Payload["model_version"].StringValue, Is.EqualTo(Synthetic.Model));
            Assert.That(Convert.FromBase64String(point.Payload["thumbnail"].StringValue), Is.EqualTo(s.Thumbnail));
        });
        var back = QdrantSightingStore.ToSighting(s.Id, point.Payload, s.Embedding);
        Assert.That(back.Samples, Is.EqualTo(s.Samples));
    }

    [Test]
    public async Task Add_CollectionOfWrongSize_ThrowsClearErrorAndUpsertsNothing()
    {
        var (store, fake) = Create();
        fake.Respond = Server(exists: true, size: 512, distance: Distance.Dot);
        var syn = new Synthetic(33);

        var e = await Assert.ThrowsAsync<SightingStoreException>(() => store.AddAsync([syn.Sighting("a", 1, 0, syn.Person())]));

        Assert.That(e!.Message, Does.Contain(store.CollectionName(Synthetic.Model)).And.Contain("size 512").And.Contain("Dot").And.Contain("128-d Cosine"));
        Assert.That(fake.ArgsOf("UpsertAsync"), Is.Empty);
    }

    [Test]
    public async Task Add_IdAlreadyInQdrant_ThrowsAndUpsertsNothing()
    {
        var (store, fake) = Create();
        var syn = new Synthetic(34);
        var s = syn.Sighting("a", 1, 0, syn.Person());
        var server = Server(exists: true);
        fake.Respond = (name, args) => name == "RetrieveAsync"
            ? Task.FromResult<IReadOnlyList<RetrievedPoint>>([new RetrievedPoint { Id = s.Id }])
            : server(name, args);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => store.AddAsync([s]));

        Assert.That(e!.Message, Does.Contain("already stored"));
        Assert.That(fake.ArgsOf("UpsertAsync"), Is.Empty);
    }

    [Test]
    public async Task List_Filters_MapToScrollOrderedByLastSeenDescending()
    {
        var (store, fake) = Create();
        var syn = new Synthetic(38);
        var older = syn.Sighting("b", 9, 3, syn.Person());
        var newer = syn.Sighting("c", 4, 7, syn.Person());
        var identity = Guid.CreateVersion7();
        var server = Server(exists: true);
        fake.Respond = (name, args) => name == "ScrollAsync"
            ? Task.FromResult(new ScrollResponse
            {
                Result =
                {
                    // Out of order on purpose: the store orders what the collections return.
                    new RetrievedPoint { Id = older.Id, Payload = { QdrantSightingStore.ToPoint(older).Payload } },
                    new RetrievedPoint { Id = newer.Id, Payload = { QdrantSightingStore.ToPoint(newer with { IdentityId = identity }).Payload } },
                },
            })
            : server(name, args);
        var from = Synthetic.T0;
        var to = Synthetic.T0.AddHours(1);

        var list = await store.ListAsync(new SightingListQuery { ModelVersion = Synthetic.Model, Cameras = ["b", "c"], From = from, To = to, Limit = 25 });

        var args = fake.ArgsOf("ScrollAsync").Single();
        Assert.That(args[0], Is.EqualTo(store.CollectionName(Synthetic.Model)));
        var filter = (Filter)args[1]!;
        Assert.That(filter.Must[0].Field.Match.Keywords.Strings, Is.EqualTo(new[] { "b", "c" }));
        Assert.That(filter.Must[1].Field.Key, Is.EqualTo("last_seen"));
        Assert.That(filter.Must[1].Field.Range.Gte, Is.EqualTo(from.ToUnixTimeMilliseconds()));
        Assert.That(filter.Must[2].Field.Key, Is.EqualTo("first_seen"));
        Assert.That(filter.Must[2].Field.Range.Lte, Is.EqualTo(to.ToUnixTimeMilliseconds()));
        Assert.That(args[2], Is.EqualTo(25u));
        var order = (OrderBy)args[8]!;
        Assert.That(order.Key, Is.EqualTo("last_seen"));
        Assert.That(order.Direction, Is.EqualTo(Direction.Desc));
        Assert.That(list.Select(s => s.Id), Is.EqualTo(new[] { newer.Id, older.Id }));
        Assert.That(list[0].IdentityId, Is.EqualTo(identity));
        Assert.That(list[0].Camera, Is.EqualTo("c"));
        Assert.That(list[0].Samples, Is.EqualTo(newer.Samples));
        Assert.That(list[1].FirstSeen, Is.EqualTo(older.FirstSeen));
    }

    [Test]
    public async Task List_MoreThanOnePage_PagesFromTheLastTimeWithoutRepeatsOrGaps()
    {
        var (store, fake) = Create(listPage: 2);
        var syn = new Synthetic(40);
        // Two pairs end at the same instant, so pages start inside a group of equal times.
        var stored = new[] { 0, 1, 1, 3, 3, 3, 6 }.Select((minute, i) => syn.Sighting("c" + i, i, minute, syn.Person())).ToList();
        var server = Server(exists: true);
        fake.Respond = (name, args) =>
        {
            if (name != "ScrollAsync")
            {
                return server(name, args);
            }

            var order = (OrderBy)args[8]!;
            var points = stored.Where(s => order.StartFrom is null || s.LastSeen.ToUnixTimeMilliseconds() <= order.StartFrom.Integer)
                .OrderByDescending(s => s.LastSeen).ThenBy(s => s.Id)
                .Take((int)(uint)args[2]!)
                .Select(s => new RetrievedPoint { Id = s.Id, Payload = { QdrantSightingStore.ToPoint(s).Payload } });
            return Task.FromResult(new ScrollResponse { Result = { points } });
        };

        var five = await store.ListAsync(new SightingListQuery { ModelVersion = Synthetic.Model, Limit = 5 });
        var all = await store.ListAsync(new SightingListQuery { ModelVersion = Synthetic.Model, Limit = 100 });

        var newest = stored.OrderByDescending(s => s.LastSeen).ThenBy(s => s.Camera, StringComparer.Ordinal).ToList();
        Assert.That(all.Select(s => s.Id), Is.EqualTo(newest.Select(s => s.Id)));
        // The fifth is one of the two that end at minute 1: which one reaches the limit is the server's choice.
        Assert.That(five.Take(4).Select(s => s.Id), Is.EqualTo(newest.Take(4).Select(s => s.Id)));
        Assert.That(five[4].Id, Is.AnyOf(newest[4].Id, newest[5].Id));
        Assert.That(fake.ArgsOf("ScrollAsync").Count(), Is.GreaterThan(2));
    }

    [Test]
    public async Task ListByModelVersion_ScrollsTheModelsCollectionFromTheCursor()
    {
        var (store, fake) = Create();
        var syn = new Synthetic(41);
        var points = new[] { syn.Sighting("door", 1, 0, syn.Person()), syn.Sighting("hall", 2, 5, syn.Person()) };
        var next = Guid.CreateVersion7();
        var server = Server(exists: true);
        fake.Respond = (name, args) => name switch
        {
            "ScrollAsync" => Task.FromResult(new ScrollResponse
            {
                Result = { points.Select(p => new RetrievedPoint { Id = p.Id, Payload = { QdrantSightingStore.ToPoint(p).Payload } }) },
                NextPageOffset = next,
            }),
            _ => server(name, args),
        };
        var after = Guid.CreateVersion7();

        var page = await store.ListByModelVersionAsync(new ModelSightingsQuery { ModelVersion = Synthetic.Model, After = after.ToString(), Limit = 2 });

        Assert.That(page.Sightings.Select(x => (x.Id, x.Camera, x.Track, x.ModelVersion)), Is.EqualTo(points.Select(x => (x.Id, x.Camera, x.Track, x.ModelVersion))));
        Assert.That(page.Next, Is.EqualTo(next.ToString()));
        var scroll = fake.ArgsOf("ScrollAsync").Single();
        Assert.That(scroll[0], Is.EqualTo(store.CollectionName(Synthetic.Model)));
        Assert.That(scroll[2], Is.EqualTo(2u), "the page size");
        Assert.That(((PointId)scroll[3]!).Uuid, Is.EqualTo(after.ToString()), "scrolled from the cursor");
        await Assert.ThrowsAsync<ArgumentException>(() => store.ListByModelVersionAsync(new ModelSightingsQuery { ModelVersion = Synthetic.Model, After = "not-a-cursor" }));
    }

    [Test]
    public async Task ListIdentities_CountsLinkedPayloadsPerIdentity()
    {
        var (store, fake) = Create();
        var syn = new Synthetic(39);
        Guid a = Guid.CreateVersion7(), b = Guid.CreateVersion7();
        var points = new[]
        {
            syn.Sighting("door", 1, 0, syn.Person()) with { IdentityId = a },
            syn.Sighting("hall", 2, 5, syn.Person()) with { IdentityId = a },
            syn.Sighting("door", 3, 9, syn.Person()) with { IdentityId = b },
        };
        var server = Server(exists: true);
        fake.Respond = (name, args) => name switch
        {
            "ListCollectionsAsync" => Task.FromResult<IReadOnlyList<string>>([store.CollectionName(Synthetic.Model), "unrelated"]),
            "ScrollAsync" => Task.FromResult(new ScrollResponse { Result = { points.Select(p => new RetrievedPoint { Id = p.Id, Payload = { QdrantSightingStore.ToPoint(p).Payload } }) } }),
            _ => server(name, args),
        };

        var all = await store.ListIdentitiesAsync(new IdentityListQuery());
        var cross = await store.ListIdentitiesAsync(new IdentityListQuery { MinCameras = 2 });

        Assert.That(all, Is.EqualTo(new[]
        {
            new IdentitySummary(b, 1, 1, points[2].FirstSeen, points[2].LastSeen),
            new IdentitySummary(a, 2, 2, points[0].FirstSeen, points[1].LastSeen),
        }));
        Assert.That(cross.Select(i => i.IdentityId), Is.EqualTo(new[] { a }));
        var filter = (Filter)fake.ArgsOf("ScrollAsync").First()[1]!;
        Assert.That(filter.MustNot.Single().IsEmpty.Key, Is.EqualTo("identity"));
        Assert.That(fake.ArgsOf("ScrollAsync").All(x => (string)x[0]! == store.CollectionName(Synthetic.Model)));
    }

    [Test]
    public async Task Search_Filters_MapToQdrantFilterAndHitsBack()
    {
        var (store, fake) = Create();
        var syn = new Synthetic(35);
        var stored = syn.Sighting("b", 9, 3, syn.Person());
        var identity = Guid.CreateVersion7();
        var point = QdrantSightingStore.ToPoint(stored with { IdentityId = identity });
        var server = Server(exists: true);
        fake.Respond = (name, args) => name == "QueryAsync"
            ? Task.FromResult<IReadOnlyList<ScoredPoint>>([new ScoredPoint { Id = stored.Id, Score = 0.875f, Payload = { point.Payload } }])
            : server(name, args);
        var from = Synthetic.T0;
        var to = Synthetic.T0.AddHours(1);

        var hits = await store.SearchAsync(new SightingQuery(Synthetic.Model, syn.Person())
        {
            K = 7, MinSimilarity = 0.6f, Cameras = ["b", "c"], From = from, To = to, ExcludeCamera = "a", ExcludeTrack = ("b", 4),
        });

        var args = fake.ArgsOf("QueryAsync").Single();
        Assert.That(args[0], Is.EqualTo(store.CollectionName(Synthetic.Model)));
        var filter = (Filter)args[4]!;
        Assert.That(filter.Must[0].Field.Key, Is.EqualTo("camera"));
        Assert.That(filter.Must[0].Field.Match.Keywords.Strings, Is.EqualTo(new[] { "b", "c" }));
        Assert.That(filter.Must[1].Field.Key, Is.EqualTo("last_seen"));
        Assert.That(filter.Must[1].Field.Range.Gte, Is.EqualTo(from.ToUnixTimeMilliseconds()));
        Assert.That(filter.Must[2].Field.Key, Is.EqualTo("first_seen"));
        Assert.That(filter.Must[2].Field.Range.Lte, Is.EqualTo(to.ToUnixTimeMilliseconds()));
        Assert.That(filter.MustNot[0].Field.Match.Keyword, Is.EqualTo("a"));
        var track = filter.MustNot[1].Filter;
        Assert.That(track.Must[0].Field.Match.Keyword, Is.EqualTo("b"));
        Assert.That(track.Must[1].Field.Key, Is.EqualTo("track"));
        Assert.That(track.Must[1].Field.Match.Integer, Is.EqualTo(4));
        Assert.That(args[5], Is.EqualTo(0.6f));
        Assert.That(args[7], Is.EqualTo(7UL));
        var selector = (WithPayloadSelector)args[9]!;
        Assert.That(selector.Include.Fields, Does.Not.Contain("thumbnail"));

        var hit = hits.Single();
        Assert.That(hit, Is.EqualTo(new SightingHit(stored.Id, "b", 9, stored.FirstSeen, stored.LastSeen, 0.875f, stored.RepresentativeBox, identity, true)));
    }

    [Test]
    public async Task Search_UnknownModelVersion_ReturnsNothingWithoutCreatingACollection()
    {
        var (store, fake) = Create();
        fake.Respond = Server(exists: false);
        var syn = new Synthetic(36);

        var hits = await store.SearchAsync(new SightingQuery("never-seen", syn.Person()));

        Assert.That(hits, Is.Empty);
        Assert.That(fake.ArgsOf("CreateCollectionAsync"), Is.Empty);
        Assert.That(fake.ArgsOf("QueryAsync"), Is.Empty);
    }

    [Test]
    public async Task Call_TransientlyUnavailable_IsRetried()
    {
        var (store, fake) = Create(retries: 3);
        var failures = 0;
        var name = store.CollectionName(Synthetic.Model);
        fake.Respond = (method, _) => method switch
        {
            "ListCollectionsAsync" when failures++ < 2 => throw new RpcException(new Status(StatusCode.Unavailable, "connection refused")),
            "ListCollectionsAsync" => Task.FromResult<IReadOnlyList<string>>([name, "someone_else"]),
            "CountAsync" => Task.FromResult(5UL),
            _ => throw new NotSupportedException(method),
        };

        var count = await store.CountAsync();

        Assert.That(count, Is.EqualTo(5));
        Assert.That(fake.ArgsOf("ListCollectionsAsync").Count(), Is.EqualTo(3));
        Assert.That(fake.ArgsOf("CountAsync").Single()[0], Is.EqualTo(name));
    }

    [Test]
    public async Task Call_ServerUnreachable_ThrowsStoreExceptionNamingTheAddress()
    {
        var (store, fake) = Create(retries: 2);
        fake.Respond = (_, _) => throw new RpcException(new Status(StatusCode.Unavailable, "connection refused"));

        var e = await Assert.ThrowsAsync<SightingStoreException>(() => store.CountAsync());

        Assert.That(e!.Message, Does.Contain("http://qdrant.test:6334").And.Contain("unreachable").And.Contain("Search:Qdrant:Url"));
        Assert.That(fake.Calls, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task Call_PermanentError_IsNotRetried()
    {
        var (store, fake) = Create(retries: 3);
        fake.Respond = (_, _) => throw new RpcException(new Status(StatusCode.PermissionDenied, "bad api key"));

        var e = await Assert.ThrowsAsync<SightingStoreException>(() => store.CountAsync());

        Assert.That(e!.Message, Does.Contain("PermissionDenied"));
        Assert.That(fake.Calls, Has.Count.EqualTo(1));
    }

    [Test]
    public void CollectionName_PerModelVersion_DistinctAndSafe()
    {
        var (store, _) = Create();

        var a = store.CollectionName("drsa/r18 v1");
        var b = store.CollectionName("drsa_r18_v1");

        Assert.That(a, Does.StartWith("reid_sightings__drsa_r18_v1_"));
        Assert.That(a, Is.Not.EqualTo(b));
        Assert.That(a.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'));
    }

    [Test]
    public void Options_BadUrl_NamesTheKey()
    {
        var e = Assert.Throws<ArgumentException>(() => new QdrantStoreOptions { Url = new Uri("ftp://x") }.Validated());

        Assert.That(e!.Message, Does.Contain("Search:Qdrant:Url"));
    }
}
