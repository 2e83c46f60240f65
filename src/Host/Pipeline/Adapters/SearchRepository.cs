using Microsoft.Extensions.Logging;
using ReId.Search;

namespace ReId.Host.Pipeline.Adapters;

/// <summary>
/// The service's view of the Search stage: the sighting store, where-else queries and identity linking.
/// Recent sightings and identities come from the store's listing calls; sightings left by an older model are
/// taken from a search over the whole embedding space (similarity >= -1), at most <see cref="ListCeiling"/> per
/// model version.
/// </summary>
internal sealed class SearchRepository : ISightingRepository
{
    internal const int ListCeiling = 10_000;

    private readonly ISightingStore _store;
    private readonly IdentityLinker _linker;
    private readonly WhereElseSearch _whereElse;
    private readonly TimeProvider _time;
    private readonly Func<string> _currentModel;
    private readonly HashSet<string> _models = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private readonly bool _keepCrops;

    public SearchRepository(ISightingStore store, SearchOptions options, Func<string> currentModelVersion, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _time = time ?? TimeProvider.System;
        _keepCrops = options.KeepCrops;
        _linker = new IdentityLinker(store, options.Linking, _time, loggerFactory?.CreateLogger<IdentityLinker>());
        _whereElse = new WhereElseSearch(store);
        _currentModel = currentModelVersion;
    }

    public ISightingStore Store => _store;

    /// <summary>Floats in each stored embedding.</summary>
    public int Dimension => Sighting.Dimension;

    /// <summary>Model versions whose sightings the lists include (the current one and those seen since start).</summary>
    private IReadOnlyList<string> Models
    {
        get
        {
            lock (_lock)
            {
                _models.Add(_currentModel());
                return [.. _models];
            }
        }
    }

    /// <summary>Makes the lists include sightings of an older model (e.g. the one in use before a reload).</summary>
    public void RememberModel(string modelVersion)
    {
        lock (_lock)
        {
            _models.Add(modelVersion);
        }
    }

    public async Task<string> AddAsync(NewSighting sighting, CancellationToken cancellationToken = default)
    {
        var t = sighting.Tracklet;
        var id = Guid.CreateVersion7(_time.GetUtcNow());
        RememberModel(sighting.ModelVersion);
        await _store.AddAsync(
            [new Sighting(id, t.CameraId, t.TrackId, t.FirstSeen, t.LastSeen, sighting.ModelVersion, sighting.Embedding,
                [.. t.Samples.Select(s => new SightingSample(s.Time, s.Box))],
                t.ThumbnailJpeg.Length > 0 ? t.ThumbnailJpeg : null)],
            cancellationToken).ConfigureAwait(false);
        if (_keepCrops)
        {
            var crops = t.Samples.Where(s => s.Crop is { Width: KeptCrop.Width, Height: KeptCrop.Height })
                .Select(s => new KeptCrop(s.Time, s.Crop.ToArray())).ToList();
            if (crops.Count > 0)
            {
                await _store.KeepCropsAsync(id, crops, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }
        }

        await _linker.LinkAsync(id, cancellationToken).ConfigureAwait(false);
        return id.ToString();
    }

    public async Task<SightingRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var s = await _store.GetAsync(Guid.Parse(id), cancellationToken).ConfigureAwait(false);
        return s is null ? null : ToRecord(s);
    }

    public Task<byte[]?> GetThumbnailAsync(string id, CancellationToken cancellationToken = default) =>
        _store.GetThumbnailAsync(Guid.Parse(id), cancellationToken);

    public async Task<IReadOnlyList<SightingRecord>> ListAsync(SightingQuery query, CancellationToken cancellationToken = default)
    {
        var sightings = new List<Sighting>();
        foreach (var model in Models)
        {
            sightings.AddRange(await _store.ListAsync(new SightingListQuery
            {
                ModelVersion = model,
                Cameras = query.Camera is null ? null : [query.Camera],
                From = query.From,
                To = query.To,
                Limit = query.Limit,
            }, cancellationToken).ConfigureAwait(false));
        }

        return [.. sightings.OrderByDescending(s => s.LastSeen).ThenBy(s => s.Camera, StringComparer.Ordinal).Take(query.Limit).Select(ToRecord)];
    }

    public Task<long> CountAsync(CancellationToken cancellationToken = default) => _store.CountAsync(null, cancellationToken);

    public async Task<IReadOnlyList<ScoredSighting>> WhereElseAsync(string id, WhereElseQuery query, CancellationToken cancellationToken = default)
    {
        var result = await _whereElse.FromSightingAsync(Guid.Parse(id), ToOptions(query), cancellationToken).ConfigureAwait(false);
        return await ScoredAsync(result, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ScoredSighting>> SearchAsync(float[] embedding, string modelVersion, WhereElseQuery query, CancellationToken cancellationToken = default)
    {
        var result = await _whereElse.FromEmbeddingsAsync(modelVersion, [embedding], ToOptions(query), cancellationToken).ConfigureAwait(false);
        return await ScoredAsync(result, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<IdentityRecord>> IdentitiesAsync(int limit, CancellationToken cancellationToken = default)
    {
        // An identity seen by one camera only is not a cross-camera link yet.
        var ids = new Dictionary<Guid, DateTimeOffset>();
        foreach (var model in Models)
        {
            foreach (var identity in await _store.ListIdentitiesAsync(new IdentityListQuery { ModelVersion = model, MinCameras = 2, Limit = limit }, cancellationToken).ConfigureAwait(false))
            {
                if (!ids.TryGetValue(identity.IdentityId, out var last) || identity.LastSeen > last)
                {
                    ids[identity.IdentityId] = identity.LastSeen;
                }
            }
        }

        var list = new List<IdentityRecord>();
        foreach (var (identity, _) in ids.OrderByDescending(p => p.Value))
        {
            var sightings = await _store.GetIdentitySightingsAsync(identity, cancellationToken).ConfigureAwait(false);
            if (sightings.Select(s => s.Camera).Distinct(StringComparer.Ordinal).Count() > 1)
            {
                list.Add(ToIdentity(identity, sightings));
                if (list.Count >= limit)
                {
                    break;
                }
            }
        }

        return list;
    }

    public async Task<IdentityRecord?> IdentityOfAsync(string sightingId, CancellationToken cancellationToken = default)
    {
        var s = await _store.GetAsync(Guid.Parse(sightingId), cancellationToken).ConfigureAwait(false);
        if (s?.IdentityId is not { } identity)
        {
            return null;
        }

        var sightings = await _store.GetIdentitySightingsAsync(identity, cancellationToken).ConfigureAwait(false);
        return sightings.Count == 0 ? null : ToIdentity(identity, sightings);
    }

    public async Task FeedbackAsync(string sightingA, string sightingB, bool samePerson, CancellationToken cancellationToken = default)
    {
        var a = Guid.Parse(sightingA);
        var b = Guid.Parse(sightingB);
        if (samePerson)
        {
            await _linker.ConfirmAsync(a, b, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _linker.RejectAsync(a, b, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<(string Id, IReadOnlyList<BgrImage> Crops)>> StaleAsync(string modelVersion, int limit, CancellationToken cancellationToken = default)
    {
        var stale = new List<(string, IReadOnlyList<BgrImage>)>();
        foreach (var model in Models.Where(m => m != modelVersion))
        {
            foreach (var h in await AllAsync(model, null, null, null, cancellationToken).ConfigureAwait(false))
            {
                var crops = await _store.GetCropsAsync(h.SightingId, cancellationToken).ConfigureAwait(false);
                if (crops.Count == 0 || await HasSuccessorAsync(h, modelVersion, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                stale.Add((h.SightingId.ToString(), [.. crops.Select(c => c.Image)]));
                if (stale.Count >= limit)
                {
                    return stale;
                }
            }
        }

        return stale;
    }

    /// <summary>True when the same track is already stored under <paramref name="modelVersion"/>.</summary>
    private async Task<bool> HasSuccessorAsync(SightingHit h, string modelVersion, CancellationToken cancellationToken)
    {
        var probe = await _store.GetAsync(h.SightingId, cancellationToken).ConfigureAwait(false);
        if (probe is null)
        {
            return true;
        }

        var same = await _store.SearchAsync(new ReId.Search.SightingQuery(modelVersion, Probe())
        {
            K = ListCeiling,
            MinSimilarity = -1,
            Cameras = [h.Camera],
            From = h.FirstSeen,
            To = h.LastSeen,
        }, cancellationToken).ConfigureAwait(false);
        return same.Any(x => x.Track == h.Track && x.FirstSeen == h.FirstSeen);
    }

    /// <summary>
    /// Stores the sighting again under the new model: the store keeps model versions apart and never changes an
    /// embedding in place, so the re-embedded sighting is a new one with the same track, times, boxes and crops.
    /// </summary>
    public async Task ReplaceEmbeddingAsync(string id, float[] embedding, string modelVersion, CancellationToken cancellationToken = default)
    {
        var old = await _store.GetAsync(Guid.Parse(id), cancellationToken).ConfigureAwait(false);
        if (old is null)
        {
            return;
        }

        var thumbnail = await _store.GetThumbnailAsync(old.Id, cancellationToken).ConfigureAwait(false);
        var crops = await _store.GetCropsAsync(old.Id, cancellationToken).ConfigureAwait(false);
        var newId = Guid.CreateVersion7(_time.GetUtcNow());
        RememberModel(modelVersion);
        await _store.AddAsync([old with { Id = newId, ModelVersion = modelVersion, Embedding = embedding, Thumbnail = thumbnail, IdentityId = null }], cancellationToken).ConfigureAwait(false);
        if (crops.Count > 0)
        {
            await _store.KeepCropsAsync(newId, crops, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        await _linker.LinkAsync(newId, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private Task<IReadOnlyList<SightingHit>> AllAsync(string model, IReadOnlyCollection<string>? cameras, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken) =>
        _store.SearchAsync(new ReId.Search.SightingQuery(model, Probe())
        {
            K = ListCeiling,
            MinSimilarity = -1,
            Cameras = cameras,
            From = from,
            To = to,
        }, cancellationToken);

    /// <summary>Any unit vector: with a similarity floor of -1 every sighting matches it.</summary>
    private static float[] Probe()
    {
        var v = new float[Sighting.Dimension];
        v[0] = 1;
        return v;
    }

    private static WhereElseOptions ToOptions(WhereElseQuery q) => new()
    {
        K = q.K,
        MinSimilarity = q.MinScore,
        Cameras = q.Cameras,
        From = q.From,
        To = q.To,
    };

    private async Task<IReadOnlyList<ScoredSighting>> ScoredAsync(WhereElseResult result, CancellationToken cancellationToken)
    {
        var list = new List<ScoredSighting>();
        foreach (var m in result.All.OrderByDescending(m => m.Score))
        {
            if (await _store.GetAsync(m.SightingId, cancellationToken).ConfigureAwait(false) is { } s)
            {
                list.Add(new ScoredSighting(ToRecord(s), m.Score));
            }
        }

        return list;
    }

    private static SightingRecord ToRecord(Sighting s) => new(
        s.Id.ToString(), s.Camera, s.Track, s.FirstSeen, s.LastSeen, s.ModelVersion,
        s.Samples,
        s.IdentityId?.ToString());

    private static IdentityRecord ToIdentity(Guid id, IReadOnlyList<Sighting> sightings) => new(
        id.ToString(), [.. sightings.Select(s => s.Id.ToString())], [.. sightings.Select(s => s.Camera).Distinct(StringComparer.Ordinal)],
        sightings.Min(s => s.FirstSeen), sightings.Max(s => s.LastSeen));
}
