using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using static Qdrant.Client.Grpc.Conditions;

namespace ReId.Search;

/// <summary>
/// Sightings in Qdrant, for sites that outgrow one machine. One collection per encoder model version (128-d,
/// cosine) with payload indexes on camera, track, times and identity, so embeddings of different versions are
/// never compared. Thumbnails travel in the point payload (base64, a few KB; left out of search responses and
/// fetched by id) so every service instance can serve them; kept crops (about 100 KB each) and link feedback stay
/// in a local SQLite side store (<see cref="QdrantStoreOptions.SideStorePath"/>). Transient gRPC failures are
/// retried with exponential back-off; upserts go in batches and wait for the server to apply them.
/// </summary>
public sealed partial class QdrantSightingStore : ISightingStore
{
    private const string Camera = "camera";
    private const string Track = "track";
    private const string FirstSeen = "first_seen";
    private const string LastSeen = "last_seen";
    private const string IdentityField = "identity";
    private const string ModelVersionField = "model_version";
    private const string Samples = "samples";
    private const string Thumbnail = "thumbnail";
    private const string HasThumbnailField = "has_thumbnail";
    private static readonly string[] SearchFields = [Camera, Track, FirstSeen, LastSeen, IdentityField, Samples, HasThumbnailField];
    private static readonly string[] SightingFields = [.. SearchFields, ModelVersionField];

    private readonly IQdrantClient _client;
    private readonly QdrantStoreOptions _options;
    private readonly SightingDatabase _side;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _ensured = new(StringComparer.Ordinal);
    private readonly IDisposable? _ownedClient;

    internal QdrantSightingStore(IQdrantClient client, QdrantStoreOptions options, TimeProvider timeProvider, ILogger? logger, IDisposable? ownedClient)
    {
        _client = client;
        _options = options.Validated();
        _logger = logger ?? NullLogger.Instance;
        _ownedClient = ownedClient;
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (_options.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RpcException>(e => IsTransient(e.StatusCode)),
                MaxRetryAttempts = _options.Retries,
                Delay = _options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = _options.RetryDelay > TimeSpan.Zero,
                OnRetry = args =>
                {
                    LogRetry(args.AttemptNumber + 1, args.Outcome.Exception?.Message ?? "unknown", args.RetryDelay);
                    return default;
                },
            });
        }

        _pipeline = builder.Build();
        _side = new SightingDatabase(_options.SideStorePath);
    }

    /// <summary>Connects to Qdrant (no request is made until the first use).</summary>
    public static QdrantSightingStore Connect(QdrantStoreOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Validated();
        var client = new QdrantClient(options.Url, options.ApiKey, options.Timeout, loggerFactory);
        try
        {
            return new QdrantSightingStore(client, options, timeProvider ?? TimeProvider.System, loggerFactory?.CreateLogger<QdrantSightingStore>(), ownedClient: client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The collection that holds one model version's sightings.</summary>
    public string CollectionName(string modelVersion)
    {
        Validation.ModelVersion(modelVersion, "collection");
        var safe = new string(modelVersion.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelVersion)))[..8];
        return $"{_options.CollectionPrefix}__{safe}_{hash}";
    }

    /// <inheritdoc />
    public async Task AddAsync(IReadOnlyList<Sighting> sightings, CancellationToken cancellationToken = default)
    {
        var valid = Validation.Batch(sightings);
        foreach (var group in valid.GroupBy(s => s.ModelVersion, StringComparer.Ordinal))
        {
            var collection = await EnsureCollectionAsync(group.Key, cancellationToken).ConfigureAwait(false);
            var ids = group.Select(s => (PointId)s.Id).ToList();
            var existing = await CallAsync("checking for stored ids",
                ct => _client.RetrieveAsync(collection, ids, false, false, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            if (existing.Count > 0)
            {
                throw new ArgumentException($"sighting {existing[0].Id.Uuid} is already stored; nothing of this batch was stored.");
            }
        }

        foreach (var group in valid.GroupBy(s => s.ModelVersion, StringComparer.Ordinal))
        {
            var collection = CollectionName(group.Key);
            foreach (var batch in group.Chunk(_options.UpsertBatchSize))
            {
                var points = batch.Select(ToPoint).ToList();
                await CallAsync("storing sightings",
                    ct => _client.UpsertAsync(collection, points, wait: true, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async Task<Sighting?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        foreach (var collection in await CollectionsAsync(cancellationToken).ConfigureAwait(false))
        {
            var found = await CallAsync("reading a sighting", ct => _client.RetrieveAsync(collection, [(PointId)id],
                Include([.. SightingFields, Thumbnail]), new WithVectorsSelector { Enable = true }, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            if (found.Count > 0)
            {
                var p = found[0];
                var vector = p.Vectors?.Vector is { } v ? (v.GetDenseVector()?.Data ?? (IEnumerable<float>)[]).ToArray() : [];
                return ToSighting(id, p.Payload, vector) with
                {
                    Thumbnail = p.Payload.TryGetValue(Thumbnail, out var t) && t.StringValue.Length > 0 ? Convert.FromBase64String(t.StringValue) : null,
                };
            }
        }

        return null;
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetThumbnailAsync(Guid id, CancellationToken cancellationToken = default)
    {
        foreach (var collection in await CollectionsAsync(cancellationToken).ConfigureAwait(false))
        {
            var found = await CallAsync("reading a thumbnail", ct => _client.RetrieveAsync(collection, [(PointId)id],
                Include([Thumbnail]), new WithVectorsSelector { Enable = false }, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            if (found.Count > 0)
            {
                return found[0].Payload.TryGetValue(Thumbnail, out var t) && t.StringValue.Length > 0 ? Convert.FromBase64String(t.StringValue) : null;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SightingHit>> SearchAsync(SightingQuery query, CancellationToken cancellationToken = default)
    {
        var q = Validation.Query(query);
        if (q.Cameras is { Count: 0 })
        {
            return [];
        }

        var collection = CollectionName(q.ModelVersion);
        if (!await ExistsAsync(collection, cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        var points = await CallAsync("searching", ct => _client.QueryAsync(collection, q.Embedding, filter: ToFilter(q), limit: (ulong)q.K,
            payloadSelector: Include(SearchFields), scoreThreshold: q.MinSimilarity, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return points.Select(p =>
        {
            var s = ToSighting(Guid.Parse(p.Id.Uuid), p.Payload, []);
            return new SightingHit(s.Id, s.Camera, s.Track, s.FirstSeen, s.LastSeen, p.Score, s.RepresentativeBox, s.IdentityId,
                p.Payload.TryGetValue(HasThumbnailField, out var h) && h.BoolValue);
        }).ToList();
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(string? modelVersion = null, CancellationToken cancellationToken = default)
    {
        long total = 0;
        var collections = modelVersion is null
            ? await CollectionsAsync(cancellationToken).ConfigureAwait(false)
            : await ExistsAsync(CollectionName(modelVersion), cancellationToken).ConfigureAwait(false) ? [CollectionName(modelVersion)] : [];
        foreach (var collection in collections)
        {
            total += (long)await CallAsync("counting", ct => _client.CountAsync(collection, exact: true, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }

        return total;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Scrolls per collection, filtered on the payload and ordered by the indexed last_seen field (descending),
    /// then merged. Qdrant orders by that one key only: sightings that end in the same millisecond are put in camera
    /// order here, but which of them reach the limit inside one collection is Qdrant's choice.
    /// </remarks>
    public async Task<IReadOnlyList<Sighting>> ListAsync(SightingListQuery query, CancellationToken cancellationToken = default)
    {
        var q = Validation.List(query);
        if (q.Cameras is { Count: 0 })
        {
            return [];
        }

        var filter = ToFilter(q);
        var all = new List<Sighting>();
        foreach (var collection in await ListedCollectionsAsync(q.ModelVersion, cancellationToken).ConfigureAwait(false))
        {
            all.AddRange(await ListNewestAsync(collection, filter, q.Limit, cancellationToken).ConfigureAwait(false));
        }

        return all.OrderByDescending(s => s.LastSeen).ThenBy(s => s.Camera, StringComparer.Ordinal).ThenBy(s => s.Id).Take(q.Limit).ToList();
    }

    /// <inheritdoc />
    /// <remarks>A collection holds one model version; its name is hashed, so the version is read from one of its points.</remarks>
    public async Task<IReadOnlyList<string>> ListModelVersionsAsync(CancellationToken cancellationToken = default)
    {
        var versions = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var collection in await CollectionsAsync(cancellationToken).ConfigureAwait(false))
        {
            var page = await CallAsync("listing model versions", ct => _client.ScrollAsync(collection, new Filter(), 1, null,
                Include([ModelVersionField]), new WithVectorsSelector { Enable = false }, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            if (page.Result.FirstOrDefault()?.Payload.TryGetValue(ModelVersionField, out var v) == true)
            {
                versions.Add(v.StringValue);
            }
        }

        return [.. versions];
    }

    /// <inheritdoc />
    /// <remarks>Qdrant's scroll over the model's collection, in point id order; the cursor is the next point id.</remarks>
    public async Task<SightingPage> ListByModelVersionAsync(ModelSightingsQuery query, CancellationToken cancellationToken = default)
    {
        var q = Validation.ByModel(query);
        PointId? offset = null;
        if (q.After is { } cursor)
        {
            offset = Guid.TryParse(cursor, out var id)
                ? id
                : throw new ArgumentException($"listing by model version: '{cursor}' is not a cursor this store gave.");
        }

        var collection = CollectionName(q.ModelVersion);
        if (!await ExistsAsync(collection, cancellationToken).ConfigureAwait(false))
        {
            return new SightingPage([], null);
        }

        var page = await CallAsync("listing sightings by model version", ct => _client.ScrollAsync(collection, new Filter(), (uint)q.Limit, offset,
            Include(SightingFields), new WithVectorsSelector { Enable = true }, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var sightings = page.Result
            .Select(p => ToSighting(Guid.Parse(p.Id.Uuid), p.Payload, p.Vectors?.Vector?.GetDenseVector()?.Data.ToArray() ?? []))
            .ToList();
        return new SightingPage(sightings, page.NextPageOffset?.Uuid is { Length: > 0 } next ? next : null);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Qdrant has no grouped aggregates over a payload, so this reads the identity, camera and times of every linked
    /// sighting (no vectors, no thumbnails) and counts here: cost grows with the number of linked sightings.
    /// </remarks>
    public async Task<IReadOnlyList<IdentitySummary>> ListIdentitiesAsync(IdentityListQuery query, CancellationToken cancellationToken = default)
    {
        var q = Validation.Identities(query);
        var filter = new Filter { MustNot = { IsEmpty(IdentityField) } };
        var groups = new Dictionary<Guid, (int Count, HashSet<string> Cameras, long First, long Last)>();
        foreach (var collection in await ListedCollectionsAsync(q.ModelVersion, cancellationToken).ConfigureAwait(false))
        {
            await foreach (var p in ScrollAsync(collection, filter, [IdentityField, Camera, FirstSeen, LastSeen], withVectors: false, cancellationToken).ConfigureAwait(false))
            {
                var s = ToSighting(Guid.Parse(p.Id.Uuid), p.Payload, []);
                if (s.IdentityId is not { } identity)
                {
                    continue;
                }

                long first = SightingDatabase.ToMs(s.FirstSeen), last = SightingDatabase.ToMs(s.LastSeen);
                if (groups.TryGetValue(identity, out var g))
                {
                    g.Cameras.Add(s.Camera);
                    groups[identity] = (g.Count + 1, g.Cameras, Math.Min(g.First, first), Math.Max(g.Last, last));
                }
                else
                {
                    groups[identity] = (1, new HashSet<string>(StringComparer.Ordinal) { s.Camera }, first, last);
                }
            }
        }

        return groups.Where(g => g.Value.Cameras.Count >= q.MinCameras)
            .OrderByDescending(g => g.Value.Last).ThenBy(g => g.Key)
            .Take(q.Limit)
            .Select(g => new IdentitySummary(g.Key, g.Value.Count, g.Value.Cameras.Count, SightingDatabase.FromMs(g.Value.First), SightingDatabase.FromMs(g.Value.Last)))
            .ToList();
    }

    /// <inheritdoc />
    public async Task SetIdentityAsync(IReadOnlyList<Guid> sightingIds, Guid identityId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sightingIds);
        if (identityId == Guid.Empty)
        {
            throw new ArgumentException("The identity id is empty.", nameof(identityId));
        }

        var byCollection = await LocateAsync(sightingIds, cancellationToken).ConfigureAwait(false);
        var payload = new Dictionary<string, Value> { [IdentityField] = identityId.ToString() };
        foreach (var (collection, ids) in byCollection)
        {
            await CallAsync("setting an identity", ct => _client.SetPayloadAsync(collection, payload, ids, wait: true, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Sighting>> GetIdentitySightingsAsync(Guid identityId, CancellationToken cancellationToken = default)
    {
        var list = new List<Sighting>();
        var filter = new Filter { Must = { MatchKeyword(IdentityField, identityId.ToString()) } };
        foreach (var collection in await CollectionsAsync(cancellationToken).ConfigureAwait(false))
        {
            await foreach (var p in ScrollAsync(collection, filter, SightingFields, withVectors: true, cancellationToken).ConfigureAwait(false))
            {
                list.Add(ToSighting(Guid.Parse(p.Id.Uuid), p.Payload, p.Vectors?.Vector?.GetDenseVector()?.Data.ToArray() ?? []));
            }
        }

        return list.OrderBy(s => s.FirstSeen).ThenBy(s => s.LastSeen).ToList();
    }

    /// <inheritdoc />
    public Task<int> EraseIdentityAsync(Guid identityId, CancellationToken cancellationToken = default) =>
        DeleteWhereAsync(new Filter { Must = { MatchKeyword(IdentityField, identityId.ToString()) } }, "erasing an identity", cancellationToken);

    /// <inheritdoc />
    public async Task<PurgeResult> PurgeAsync(DateTimeOffset sightingsEndedBefore, DateTimeOffset cropsKeptBefore, CancellationToken cancellationToken = default)
    {
        var crops = _side.DeleteCropsKeptBefore(cropsKeptBefore);
        var filter = new Filter { Must = { Range(LastSeen, new Qdrant.Client.Grpc.Range { Lt = SightingDatabase.ToMs(sightingsEndedBefore) }) } };
        var sightings = await DeleteWhereAsync(filter, "purging old sightings", cancellationToken).ConfigureAwait(false);
        return new PurgeResult(sightings, crops);
    }

    /// <inheritdoc />
    public async Task KeepCropsAsync(Guid sightingId, IReadOnlyList<KeptCrop> crops, DateTimeOffset keptAt, CancellationToken cancellationToken = default)
    {
        Validation.Crops(sightingId, crops);
        await LocateAsync([sightingId], cancellationToken).ConfigureAwait(false);
        _side.KeepCrops(sightingId, crops, keptAt, requireSighting: false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<KeptCrop>> GetCropsAsync(Guid sightingId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<KeptCrop>>(_side.GetCrops(sightingId));

    /// <inheritdoc />
    public Task AddFeedbackAsync(LinkFeedback feedback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        _side.AddFeedback(feedback);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LinkFeedback>> GetFeedbackAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<LinkFeedback>>(_side.GetFeedback());

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _side.Dispose();
        _ownedClient?.Dispose();

        return ValueTask.CompletedTask;
    }

    internal static Filter ToFilter(SightingQuery q)
    {
        var filter = Where(q.Cameras, q.From, q.To);
        if (q.ExcludeCamera is not null)
        {
            filter.MustNot.Add(MatchKeyword(Camera, q.ExcludeCamera));
        }

        if (q.ExcludeTrack is { } track)
        {
            filter.MustNot.Add(Conditions.Filter(new Filter { Must = { MatchKeyword(Camera, track.Camera), Match(Track, track.Track) } }));
        }

        return filter;
    }

    internal static Filter ToFilter(SightingListQuery q) => Where(q.Cameras, q.From, q.To);

    internal static OrderBy ListOrder() => new() { Key = LastSeen, Direction = Direction.Desc };

    private static Filter Where(IReadOnlyCollection<string>? cameras, DateTimeOffset? from, DateTimeOffset? to)
    {
        var filter = new Filter();
        if (cameras is not null)
        {
            filter.Must.Add(Match(Camera, cameras.Distinct(StringComparer.Ordinal).ToList()));
        }

        if (from is { } f)
        {
            filter.Must.Add(Range(LastSeen, new Qdrant.Client.Grpc.Range { Gte = SightingDatabase.ToMs(f) }));
        }

        if (to is { } t)
        {
            filter.Must.Add(Range(FirstSeen, new Qdrant.Client.Grpc.Range { Lte = SightingDatabase.ToMs(t) }));
        }

        return filter;
    }

    internal static PointStruct ToPoint(Sighting s)
    {
        var point = new PointStruct
        {
            Id = s.Id,
            Vectors = s.Embedding,
            Payload =
            {
                [Camera] = s.Camera,
                [Track] = s.Track,
                [FirstSeen] = SightingDatabase.ToMs(s.FirstSeen),
                [LastSeen] = SightingDatabase.ToMs(s.LastSeen),
                [ModelVersionField] = s.ModelVersion,
                [Samples] = Convert.ToBase64String(SightingDatabase.EncodeSamples(s.Samples)),
                [HasThumbnailField] = s.Thumbnail is not null,
            },
        };
        if (s.Thumbnail is not null)
        {
            point.Payload[Thumbnail] = Convert.ToBase64String(s.Thumbnail);
        }

        if (s.IdentityId is { } identity)
        {
            point.Payload[IdentityField] = identity.ToString();
        }

        return point;
    }

    internal static Sighting ToSighting(Guid id, IDictionary<string, Value> payload, float[] embedding)
    {
        string Text(string key) => payload.TryGetValue(key, out var v) ? v.StringValue : "";
        long Integer(string key) => payload.TryGetValue(key, out var v) ? v.IntegerValue : 0;
        var identity = Text(IdentityField);
        return new Sighting(id, Text(Camera), Integer(Track), SightingDatabase.FromMs(Integer(FirstSeen)), SightingDatabase.FromMs(Integer(LastSeen)),
            Text(ModelVersionField), embedding, SightingDatabase.DecodeSamples(Convert.FromBase64String(Text(Samples))), null)
        {
            IdentityId = identity.Length > 0 ? Guid.Parse(identity) : null,
        };
    }

    private static bool IsTransient(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;

    private static WithPayloadSelector Include(string[] fields) => new() { Include = new PayloadIncludeSelector { Fields = { fields } } };

    private async Task<T> CallAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(async ct => await call(ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (IsTransient(e.StatusCode))
        {
            throw new SightingStoreException(
                $"Qdrant at {_options.Url} is unreachable or overloaded while {what} ({e.StatusCode}, after {_options.Retries} retries): " +
                $"{e.Status.Detail}. Check Search:Qdrant:Url and that the server is running.", e);
        }
        catch (RpcException e)
        {
            throw new SightingStoreException($"Qdrant at {_options.Url} refused {what}: {e.StatusCode} {e.Status.Detail}", e);
        }
        catch (QdrantException e)
        {
            throw new SightingStoreException($"Qdrant at {_options.Url} refused {what}: {e.Message}", e);
        }
    }

    private async Task<bool> ExistsAsync(string collection, CancellationToken cancellationToken)
    {
        if (_ensured.ContainsKey(collection))
        {
            return true;
        }

        return await CallAsync("looking up a collection", ct => _client.CollectionExistsAsync(collection, ct), cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> EnsureCollectionAsync(string modelVersion, CancellationToken cancellationToken)
    {
        var collection = CollectionName(modelVersion);
        var lazy = _ensured.GetOrAdd(collection, c => new Lazy<Task>(() => CreateOrCheckAsync(c, CancellationToken.None)));
        try
        {
            await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _ensured.TryRemove(new KeyValuePair<string, Lazy<Task>>(collection, lazy));
            throw;
        }

        return collection;
    }

    private async Task CreateOrCheckAsync(string collection, CancellationToken cancellationToken)
    {
        if (await CallAsync("looking up a collection", ct => _client.CollectionExistsAsync(collection, ct), cancellationToken).ConfigureAwait(false))
        {
            var info = await CallAsync("reading a collection", ct => _client.GetCollectionInfoAsync(collection, ct), cancellationToken).ConfigureAwait(false);
            var vectors = info.Config?.Params?.VectorsConfig?.Params;
            if (vectors is null || vectors.Size != Sighting.Dimension || vectors.Distance != Distance.Cosine)
            {
                throw new SightingStoreException(
                    $"Qdrant collection {collection} holds vectors of size {vectors?.Size.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(named or none)"} " +
                    $"with distance {vectors?.Distance.ToString() ?? "(none)"}; sightings need one unnamed {Sighting.Dimension}-d Cosine vector. " +
                    "Delete that collection or choose another Search:Qdrant:CollectionPrefix.");
            }

            return;
        }

        try
        {
            await CallAsync("creating a collection", async ct =>
            {
                await _client.CreateCollectionAsync(collection, new VectorParams { Size = Sighting.Dimension, Distance = Distance.Cosine }, cancellationToken: ct).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (SightingStoreException e) when (e.InnerException is RpcException { StatusCode: StatusCode.AlreadyExists })
        {
            // Another instance created it first; fine.
        }

        foreach (var (field, type) in new[]
                 {
                     (Camera, PayloadSchemaType.Keyword), (Track, PayloadSchemaType.Integer), (FirstSeen, PayloadSchemaType.Integer),
                     (LastSeen, PayloadSchemaType.Integer), (IdentityField, PayloadSchemaType.Keyword),
                 })
        {
            await CallAsync("creating a payload index", ct => _client.CreatePayloadIndexAsync(collection, field, type, wait: true, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }

        LogCreated(collection);
    }

    private async Task<IReadOnlyList<string>> CollectionsAsync(CancellationToken cancellationToken)
    {
        var all = await CallAsync("listing collections", ct => _client.ListCollectionsAsync(ct), cancellationToken).ConfigureAwait(false);
        return all.Where(c => c.StartsWith(_options.CollectionPrefix + "__", StringComparison.Ordinal)).ToList();
    }

    /// <summary>Rows per scroll request when listing (a page of sightings with vectors stays well under gRPC's message limit).</summary>
    internal int ListPageSize { get; init; } = 512;

    /// <summary>
    /// The newest <paramref name="limit"/> sightings of one collection. Qdrant gives no page offset with order_by, so
    /// each page starts from the last time seen (inclusive) and the points already taken at that time are skipped;
    /// when a whole page is one instant, the next request is larger.
    /// </summary>
    private async Task<List<Sighting>> ListNewestAsync(string collection, Filter filter, int limit, CancellationToken cancellationToken)
    {
        var taken = new List<Sighting>();
        var ids = new HashSet<Guid>();
        long? startFrom = null;
        var pageSize = ListPageSize;
        while (taken.Count < limit)
        {
            var atBoundary = startFrom is { } b ? taken.Count(s => SightingDatabase.ToMs(s.LastSeen) == b) : 0;
            var want = (uint)Math.Min((long)pageSize, (long)limit - taken.Count + atBoundary);
            var orderBy = ListOrder();
            if (startFrom is { } from)
            {
                orderBy.StartFrom = new StartFrom { Integer = from };
            }

            var page = await CallAsync("listing sightings", ct => _client.ScrollAsync(collection, filter, want, null,
                Include(SightingFields), new WithVectorsSelector { Enable = true }, orderBy: orderBy, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            var added = 0;
            foreach (var p in page.Result)
            {
                var id = Guid.Parse(p.Id.Uuid);
                if (ids.Add(id) && taken.Count < limit)
                {
                    taken.Add(ToSighting(id, p.Payload, p.Vectors?.Vector?.GetDenseVector()?.Data.ToArray() ?? []));
                    added++;
                }
            }

            if (page.Result.Count < want)
            {
                break; // the collection has nothing older that matches
            }

            if (added == 0)
            {
                pageSize *= 2;
                continue;
            }

            startFrom = SightingDatabase.ToMs(taken[^1].LastSeen);
        }

        return taken;
    }

    private async Task<IReadOnlyList<string>> ListedCollectionsAsync(string? modelVersion, CancellationToken cancellationToken) =>
        modelVersion is null
            ? await CollectionsAsync(cancellationToken).ConfigureAwait(false)
            : await ExistsAsync(CollectionName(modelVersion), cancellationToken).ConfigureAwait(false) ? [CollectionName(modelVersion)] : [];

    /// <summary>Groups ids by their collection; throws (before any change) when one is unknown.</summary>
    private async Task<Dictionary<string, List<Guid>>> LocateAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        var missing = new HashSet<Guid>(ids);
        foreach (var collection in await CollectionsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (missing.Count == 0)
            {
                break;
            }

            var wanted = missing.Select(i => (PointId)i).ToList();
            var found = await CallAsync("looking up sightings", ct => _client.RetrieveAsync(collection, wanted, false, false, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            foreach (var p in found)
            {
                var id = Guid.Parse(p.Id.Uuid);
                missing.Remove(id);
                (result.TryGetValue(collection, out var list) ? list : result[collection] = []).Add(id);
            }
        }

        if (missing.Count > 0)
        {
            throw new SightingNotFoundException(missing.First());
        }

        return result;
    }

    private async Task<int> DeleteWhereAsync(Filter filter, string what, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var collection in await CollectionsAsync(cancellationToken).ConfigureAwait(false))
        {
            var ids = new List<Guid>();
            await foreach (var p in ScrollAsync(collection, filter, [], withVectors: false, cancellationToken).ConfigureAwait(false))
            {
                ids.Add(Guid.Parse(p.Id.Uuid));
            }

            if (ids.Count == 0)
            {
                continue;
            }

            await CallAsync(what, ct => _client.DeleteAsync(collection, ids, wait: true, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            _side.Delete(ids, sightingsTable: false);
            deleted += ids.Count;
        }

        return deleted;
    }

    private async IAsyncEnumerable<RetrievedPoint> ScrollAsync(string collection, Filter filter, string[] fields, bool withVectors,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        PointId? offset = null;
        do
        {
            var page = await CallAsync("scrolling", ct => _client.ScrollAsync(collection, filter, 256, offset,
                fields.Length == 0 ? new WithPayloadSelector { Enable = false } : Include(fields),
                new WithVectorsSelector { Enable = withVectors }, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            foreach (var p in page.Result)
            {
                yield return p;
            }

            offset = page.NextPageOffset;
        }
        while (offset is not null);
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Qdrant request failed transiently (attempt {Attempt}): {Error}; retrying in {Delay}")]
    private partial void LogRetry(int attempt, string error, TimeSpan delay);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "Created Qdrant collection {Collection} (128-d, cosine) with payload indexes")]
    private partial void LogCreated(string collection);
}
