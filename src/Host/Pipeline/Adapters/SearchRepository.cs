using Microsoft.Extensions.Logging;
using ReId.Search;

namespace ReId.Host.Pipeline.Adapters;

/// <summary>
/// The service's view of the Search stage: the sighting store, where-else queries and identity linking.
/// Recent sightings and identities come from the store's listings over every model version (so sightings of an
/// older model stay listed after a restart); sightings left by an older model for re-embedding come from the
/// store's per-model cursor (<see cref="ISightingStore.ListByModelVersionAsync"/>).
/// </summary>
internal sealed class SearchRepository : ISightingRepository
{
    private readonly ISightingStore _store;
    private readonly IdentityLinker _linker;
    private readonly WhereElseSearch _whereElse;
    private readonly TimeProvider _time;
    private readonly Func<string> _currentModel;

    private readonly bool _keepCrops;
    private readonly bool _ownsStore;

    /// <param name="ownsStore">Dispose <paramref name="store"/> with the repository (false where the container owns it).</param>
    public SearchRepository(
        ISightingStore store, SearchOptions options, Func<string> currentModelVersion, TimeProvider? time = null, ILoggerFactory? loggerFactory = null,
        bool ownsStore = true)
    {
        _ownsStore = ownsStore;
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

    public async Task<string> AddAsync(NewSighting sighting, CancellationToken cancellationToken = default)
    {
        var pending = Prepare(sighting);
        await WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        return pending.Id.ToString();
    }

    public PendingSighting Prepare(NewSighting sighting) => new(sighting, Guid.CreateVersion7(_time.GetUtcNow()));

    public async Task WriteAsync(PendingSighting pending, CancellationToken cancellationToken = default)
    {
        // Three steps, each committed on its own: a retry after a failure goes on from the step that failed.
        var t = pending.Sighting.Tracklet;
        var id = pending.Id;
        if (pending.StepsDone == 0)
        {
            await _store.AddAsync(
                [new Sighting(id, t.CameraId, t.TrackId, t.FirstSeen, t.LastSeen, pending.Sighting.ModelVersion, pending.Sighting.Embedding,
                    [.. t.Samples.Select(s => new SightingSample(s.Time, s.Box))],
                    t.ThumbnailJpeg.Length > 0 ? t.ThumbnailJpeg : null)],
                cancellationToken).ConfigureAwait(false);
            pending.StepsDone = 1;
        }

        if (pending.StepsDone == 1)
        {
            var crops = _keepCrops
                ? t.Samples.Where(s => s.Crop is { Width: KeptCrop.Width, Height: KeptCrop.Height }).Select(s => new KeptCrop(s.Time, s.Crop.ToArray())).ToList()
                : [];
            if (crops.Count > 0)
            {
                await _store.KeepCropsAsync(id, crops, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }

            pending.StepsDone = 2;
        }

        if (pending.StepsDone == 2)
        {
            await _linker.LinkAsync(id, cancellationToken).ConfigureAwait(false);
            pending.StepsDone = 3;
        }
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
        var sightings = await _store.ListAsync(new SightingListQuery
        {
            Cameras = query.Camera is null ? null : [query.Camera],
            From = query.From,
            To = query.To,
            Limit = query.Limit,
        }, cancellationToken).ConfigureAwait(false);
        return [.. sightings.Select(ToRecord)];
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
        var list = new List<IdentityRecord>();
        foreach (var summary in await _store.ListIdentitiesAsync(new IdentityListQuery { MinCameras = 2, Limit = limit }, cancellationToken).ConfigureAwait(false))
        {
            var identity = summary.IdentityId;
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

    /// <summary>
    /// Walks every sighting of the other model versions (the store's per-model cursor) and yields those whose crops
    /// were kept and whose track is not stored under <paramref name="modelVersion"/> yet.
    /// </summary>
    public async IAsyncEnumerable<(string Id, IReadOnlyList<BgrImage> Crops)> StaleAsync(
        string modelVersion, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var model in await _store.ListModelVersionsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (model == modelVersion)
            {
                continue;
            }

            string? cursor = null;
            do
            {
                var page = await _store.ListByModelVersionAsync(new ModelSightingsQuery { ModelVersion = model, After = cursor, Limit = 64 }, cancellationToken).ConfigureAwait(false);
                foreach (var s in page.Sightings)
                {
                    var crops = await _store.GetCropsAsync(s.Id, cancellationToken).ConfigureAwait(false);
                    if (crops.Count > 0 && !await HasSuccessorAsync(s, modelVersion, cancellationToken).ConfigureAwait(false))
                    {
                        yield return (s.Id.ToString(), [.. crops.Select(c => c.Image)]);
                    }
                }

                cursor = page.Next;
            }
            while (cursor is not null);
        }
    }

    /// <summary>True when the same track (camera, track id, start) is already stored under <paramref name="modelVersion"/>.</summary>
    private async Task<bool> HasSuccessorAsync(Sighting s, string modelVersion, CancellationToken cancellationToken)
    {
        var same = await _store.ListAsync(new SightingListQuery
        {
            ModelVersion = modelVersion,
            Cameras = [s.Camera],
            From = s.FirstSeen,
            To = s.LastSeen,
            Limit = SightingListQuery.MaxLimit,
        }, cancellationToken).ConfigureAwait(false);
        return same.Any(x => x.Track == s.Track && x.FirstSeen == s.FirstSeen);
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
        await _store.AddAsync([old with { Id = newId, ModelVersion = modelVersion, Embedding = embedding, Thumbnail = thumbnail, IdentityId = null }], cancellationToken).ConfigureAwait(false);
        if (crops.Count > 0)
        {
            await _store.KeepCropsAsync(newId, crops, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        await _linker.LinkAsync(newId, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _ownsStore ? _store.DisposeAsync() : ValueTask.CompletedTask;

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
