namespace ReId.Search;

/// <summary>
/// Where sightings live: embeddings for search, payloads, thumbnails, kept crops, identities and link feedback.
/// Sightings of different encoder model versions are kept apart and never compared.
/// </summary>
public interface ISightingStore : IAsyncDisposable
{
    /// <summary>Stores sightings atomically per call; when the task completes they are durable.</summary>
    /// <exception cref="ArgumentException">A sighting is invalid or its id is already stored; nothing is stored.</exception>
    Task AddAsync(IReadOnlyList<Sighting> sightings, CancellationToken cancellationToken = default);

    /// <summary>One sighting with its embedding and identity, or null when unknown.</summary>
    Task<Sighting?> GetAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>The thumbnail JPEG of a sighting, or null when the sighting has none or is unknown.</summary>
    Task<byte[]?> GetThumbnailAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Best hits by cosine similarity, highest first, within one model version.</summary>
    Task<IReadOnlyList<SightingHit>> SearchAsync(SightingQuery query, CancellationToken cancellationToken = default);

    /// <summary>How many sightings are stored (of one model version, or all).</summary>
    Task<long> CountAsync(string? modelVersion = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stored sightings (with embeddings and identities, without thumbnail bytes) that match the filters, latest
    /// <see cref="Sighting.LastSeen"/> first; sightings that end at the same moment come in camera order.
    /// </summary>
    /// <exception cref="ArgumentException">The limit or time range is invalid.</exception>
    Task<IReadOnlyList<Sighting>> ListAsync(SightingListQuery query, CancellationToken cancellationToken = default);

    /// <summary>The encoder model versions that have sightings stored, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListModelVersionsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of a pass over every sighting of one model version (a cursor: see <see cref="ModelSightingsQuery"/>);
    /// each sighting stored before the pass began comes exactly once.
    /// </summary>
    /// <exception cref="ArgumentException">The model version, limit or cursor is invalid.</exception>
    Task<SightingPage> ListByModelVersionAsync(ModelSightingsQuery query, CancellationToken cancellationToken = default);

    /// <summary>Identities with their sighting and camera counts, most recently seen first.</summary>
    /// <exception cref="ArgumentException">The limit or camera minimum is invalid.</exception>
    Task<IReadOnlyList<IdentitySummary>> ListIdentitiesAsync(IdentityListQuery query, CancellationToken cancellationToken = default);

    /// <summary>Sets the identity of the given sightings.</summary>
    /// <exception cref="SightingNotFoundException">An id is unknown; nothing is changed.</exception>
    Task SetIdentityAsync(IReadOnlyList<Guid> sightingIds, Guid identityId, CancellationToken cancellationToken = default);

    /// <summary>All sightings of an identity, in time order (empty when unknown).</summary>
    Task<IReadOnlyList<Sighting>> GetIdentitySightingsAsync(Guid identityId, CancellationToken cancellationToken = default);

    /// <summary>Deletes every sighting of an identity with its thumbnails and crops; gone from search on return.</summary>
    Task<int> EraseIdentityAsync(Guid identityId, CancellationToken cancellationToken = default);

    /// <summary>Deletes sightings that ended before <paramref name="sightingsEndedBefore"/> (with thumbnails and
    /// crops) and crops kept before <paramref name="cropsKeptBefore"/>.</summary>
    Task<PurgeResult> PurgeAsync(DateTimeOffset sightingsEndedBefore, DateTimeOffset cropsKeptBefore, CancellationToken cancellationToken = default);

    /// <summary>Keeps a tracklet's sampled crops (replacing earlier ones of that sighting) from <paramref name="keptAt"/>.</summary>
    /// <exception cref="SightingNotFoundException">The sighting is unknown.</exception>
    Task KeepCropsAsync(Guid sightingId, IReadOnlyList<KeptCrop> crops, DateTimeOffset keptAt, CancellationToken cancellationToken = default);

    /// <summary>The crops kept for a sighting, in time order (empty when none).</summary>
    Task<IReadOnlyList<KeptCrop>> GetCropsAsync(Guid sightingId, CancellationToken cancellationToken = default);

    /// <summary>Records a user's link decision.</summary>
    Task AddFeedbackAsync(LinkFeedback feedback, CancellationToken cancellationToken = default);

    /// <summary>Every recorded link decision, oldest first (what a trainer reads).</summary>
    Task<IReadOnlyList<LinkFeedback>> GetFeedbackAsync(CancellationToken cancellationToken = default);
}

/// <summary>A sighting id that the store does not hold.</summary>
public sealed class SightingNotFoundException(Guid id)
    : KeyNotFoundException($"No sighting with id {id} is stored (it may have been erased or purged).")
{
    /// <summary>The unknown id.</summary>
    public Guid Id { get; } = id;
}

/// <summary>The store's backing service cannot be reached, or holds data that does not fit.</summary>
public sealed class SightingStoreException(string message, Exception? inner = null) : Exception(message, inner);
