using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ReId.Search;

/// <summary>
/// The default store for one site on one machine: SQLite on local disk (WAL, synchronous=FULL) holds everything;
/// embeddings are also loaded into memory at open for exact SIMD cosine search. A sighting is in memory only
/// after its transaction committed, so whatever a search returns or <see cref="AddAsync"/> reported survives a
/// killed process; reopening needs no repair step (SQLite replays its WAL).
/// </summary>
public sealed partial class EmbeddedSightingStore : ISightingStore
{
    private readonly SightingDatabase _db;
    private readonly Dictionary<string, VectorIndex> _indexes = new(StringComparer.Ordinal);
    private readonly ReaderWriterLockSlim _indexLock = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private bool _disposed;

    private EmbeddedSightingStore(SightingDatabase db) => _db = db;

    /// <summary>Path of the SQLite file.</summary>
    public string FilePath => _db.FilePath;

    /// <summary>Opens (creating when absent) the store in <paramref name="directory"/> (file sightings.db) and
    /// loads every embedding into memory.</summary>
    public static EmbeddedSightingStore Open(string directory, ILogger<EmbeddedSightingStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var watch = Stopwatch.StartNew();
        var db = new SightingDatabase(Path.Combine(directory, "sightings.db"));
        var store = new EmbeddedSightingStore(db);
        try
        {
            db.ReadAll((id, mv, camera, track, first, last, embedding) => store.IndexOf(mv).Add(id, camera, track, first, last, embedding));
        }
        catch
        {
            db.Dispose();
            throw;
        }

        LogOpened(logger ?? (ILogger)NullLogger.Instance, db.FilePath, store._indexes.Values.Sum(i => i.Count), store._indexes.Count, watch.Elapsed.TotalSeconds);
        return store;
    }

    /// <inheritdoc />
    public async Task AddAsync(IReadOnlyList<Sighting> sightings, CancellationToken cancellationToken = default)
    {
        var valid = Validation.Batch(sightings);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            _db.Insert(valid);
            _indexLock.EnterWriteLock();
            try
            {
                foreach (var s in valid)
                {
                    IndexOf(s.ModelVersion).Add(s.Id, s.Camera, s.Track, SightingDatabase.ToMs(s.FirstSeen), SightingDatabase.ToMs(s.LastSeen), s.Embedding);
                }
            }
            finally
            {
                _indexLock.ExitWriteLock();
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public Task<Sighting?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Task.FromResult(_db.Get(id));
    }

    /// <inheritdoc />
    public Task<byte[]?> GetThumbnailAsync(Guid id, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Task.FromResult(_db.GetThumbnail(id));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SightingHit>> SearchAsync(SightingQuery query, CancellationToken cancellationToken = default)
    {
        var q = Validation.Query(query);
        ThrowIfDisposed();
        List<(Guid Id, float Score)> best;
        _indexLock.EnterReadLock();
        try
        {
            best = _indexes.TryGetValue(q.ModelVersion, out var index) ? index.Search(q) : [];
        }
        finally
        {
            _indexLock.ExitReadLock();
        }

        var rows = _db.GetMany(best.Select(b => b.Id).ToList());
        var hits = new List<SightingHit>(best.Count);
        foreach (var (id, score) in best)
        {
            // A row erased between the scan and this read is simply left out.
            if (rows.TryGetValue(id, out var row))
            {
                var s = row.Sighting;
                hits.Add(new SightingHit(id, s.Camera, s.Track, s.FirstSeen, s.LastSeen, score, s.RepresentativeBox, s.IdentityId, row.HasThumbnail));
            }
        }

        return Task.FromResult<IReadOnlyList<SightingHit>>(hits);
    }

    /// <inheritdoc />
    public Task<long> CountAsync(string? modelVersion = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        _indexLock.EnterReadLock();
        try
        {
            long count = modelVersion is null
                ? _indexes.Values.Sum(i => (long)i.Count)
                : _indexes.TryGetValue(modelVersion, out var index) ? index.Count : 0;
            return Task.FromResult(count);
        }
        finally
        {
            _indexLock.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Sighting>> ListAsync(SightingListQuery query, CancellationToken cancellationToken = default)
    {
        var q = Validation.List(query);
        ThrowIfDisposed();
        return Task.FromResult<IReadOnlyList<Sighting>>(q.Cameras is { Count: 0 } ? [] : _db.List(q));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListModelVersionsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Task.FromResult<IReadOnlyList<string>>(_db.ModelVersions());
    }

    /// <inheritdoc />
    public Task<SightingPage> ListByModelVersionAsync(ModelSightingsQuery query, CancellationToken cancellationToken = default)
    {
        var q = Validation.ByModel(query);
        ThrowIfDisposed();
        return Task.FromResult(_db.ListByModel(q));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<IdentitySummary>> ListIdentitiesAsync(IdentityListQuery query, CancellationToken cancellationToken = default)
    {
        var q = Validation.Identities(query);
        ThrowIfDisposed();
        return Task.FromResult<IReadOnlyList<IdentitySummary>>(_db.ListIdentities(q));
    }

    /// <inheritdoc />
    public async Task SetIdentityAsync(IReadOnlyList<Guid> sightingIds, Guid identityId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sightingIds);
        if (identityId == Guid.Empty)
        {
            throw new ArgumentException("The identity id is empty.", nameof(identityId));
        }

        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            _db.SetIdentity(sightingIds, identityId);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Sighting>> GetIdentitySightingsAsync(Guid identityId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Task.FromResult<IReadOnlyList<Sighting>>(_db.GetIdentity(identityId));
    }

    /// <inheritdoc />
    public async Task<int> EraseIdentityAsync(Guid identityId, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            return DeleteLocked(_db.IdsOfIdentity(identityId));
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<PurgeResult> PurgeAsync(DateTimeOffset sightingsEndedBefore, DateTimeOffset cropsKeptBefore, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            var crops = _db.DeleteCropsKeptBefore(cropsKeptBefore);
            var sightings = DeleteLocked(_db.IdsEndedBefore(sightingsEndedBefore));
            return new PurgeResult(sightings, crops);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async Task KeepCropsAsync(Guid sightingId, IReadOnlyList<KeptCrop> crops, DateTimeOffset keptAt, CancellationToken cancellationToken = default)
    {
        Validation.Crops(sightingId, crops);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            _db.KeepCrops(sightingId, crops, keptAt, requireSighting: true);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<KeptCrop>> GetCropsAsync(Guid sightingId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Task.FromResult<IReadOnlyList<KeptCrop>>(_db.GetCrops(sightingId));
    }

    /// <inheritdoc />
    public Task AddFeedbackAsync(LinkFeedback feedback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        ThrowIfDisposed();
        _db.AddFeedback(feedback);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LinkFeedback>> GetFeedbackAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Task.FromResult<IReadOnlyList<LinkFeedback>>(_db.GetFeedback());
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _db.Dispose();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Removes from memory first (gone from search at once), then from disk.</summary>
    private int DeleteLocked(List<Guid> ids)
    {
        if (ids.Count == 0)
        {
            return 0;
        }

        _indexLock.EnterWriteLock();
        try
        {
            foreach (var index in _indexes.Values)
            {
                foreach (var id in ids)
                {
                    index.Remove(id);
                }

                index.CompactCameraLists();
            }
        }
        finally
        {
            _indexLock.ExitWriteLock();
        }

        return _db.Delete(ids);
    }

    private VectorIndex IndexOf(string modelVersion)
    {
        if (!_indexes.TryGetValue(modelVersion, out var index))
        {
            index = new VectorIndex();
            _indexes.Add(modelVersion, index);
        }

        return index;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Opened sighting store {Path}: {Count} sightings of {Versions} model versions loaded in {Seconds:F2} s")]
    private static partial void LogOpened(ILogger logger, string path, int count, int versions, double seconds);
}
