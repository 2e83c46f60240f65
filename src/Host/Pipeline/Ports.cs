using ReId.Search;
using ReId.Tracking;

namespace ReId.Host.Pipeline;

// The stage interfaces the pipeline composes (ICameraSource, IPersonDetector, ITracker, ITrackletEmbedder) and the
// messages between them are the contracts of src/Abstractions; this is the service's view of the sighting store.

/// <summary>A stored sighting as the API shows it.</summary>
internal sealed record SightingRecord(
    string Id, string Camera, long Track, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string ModelVersion,
    IReadOnlyList<SightingSample> Samples, string? IdentityId);

internal sealed record ScoredSighting(SightingRecord Sighting, float Score);

internal sealed record SightingQuery(string? Camera, DateTimeOffset? From, DateTimeOffset? To, int Limit);

internal sealed record WhereElseQuery(int K, IReadOnlyList<string>? Cameras, DateTimeOffset? From, DateTimeOffset? To, float MinScore);

internal sealed record IdentityRecord(string Id, IReadOnlyList<string> SightingIds, IReadOnlyList<string> Cameras, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

internal sealed record NewSighting(Tracklet Tracklet, float[] Embedding, string ModelVersion);

/// <summary>
/// A sighting on its way to the store. Its id is chosen once and the steps already done (stored, crops kept,
/// linked) are remembered, so a write retried after a store fault neither stores it twice nor skips a step.
/// </summary>
internal sealed class PendingSighting(NewSighting sighting, Guid id)
{
    public NewSighting Sighting { get; } = sighting;
    public Guid Id { get; } = id;

    /// <summary>Steps of <see cref="ISightingRepository.WriteAsync"/> done so far (the repository's business).</summary>
    internal int StepsDone { get; set; }
}

/// <summary>The sighting store as the service uses it.</summary>
internal interface ISightingRepository : IAsyncDisposable
{
    /// <summary>Floats in each stored embedding (checked against the encoder's at start and at a model reload).</summary>
    int Dimension => Embedding.Dimension;

    /// <summary>Stores a new sighting at once (<see cref="Prepare"/> then <see cref="WriteAsync"/>); returns its id.</summary>
    Task<string> AddAsync(NewSighting sighting, CancellationToken cancellationToken = default);
    /// <summary>Gives a new sighting its id, before it is written.</summary>
    PendingSighting Prepare(NewSighting sighting);
    /// <summary>Writes what is not written yet of a prepared sighting; may be called again after it failed.</summary>
    Task WriteAsync(PendingSighting sighting, CancellationToken cancellationToken = default);
    Task<SightingRecord?> GetAsync(string id, CancellationToken cancellationToken = default);
    Task<byte[]?> GetThumbnailAsync(string id, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<SightingRecord>> ListAsync(SightingQuery query, CancellationToken cancellationToken = default);
    Task<long> CountAsync(CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ScoredSighting>> WhereElseAsync(string id, WhereElseQuery query, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ScoredSighting>> SearchAsync(float[] embedding, string modelVersion, WhereElseQuery query, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<IdentityRecord>> IdentitiesAsync(int limit, CancellationToken cancellationToken = default);
    Task<IdentityRecord?> IdentityOfAsync(string sightingId, CancellationToken cancellationToken = default);
    /// <summary>User feedback: two sightings are (confirm) or are not (reject) the same person.</summary>
    Task FeedbackAsync(string sightingA, string sightingB, bool samePerson, CancellationToken cancellationToken = default);
    /// <summary>Sightings whose crops were kept and whose embedding comes from another model version.</summary>
    IAsyncEnumerable<(string Id, IReadOnlyList<BgrImage> Crops)> StaleAsync(string modelVersion, CancellationToken cancellationToken = default);
    Task ReplaceEmbeddingAsync(string id, float[] embedding, string modelVersion, CancellationToken cancellationToken = default);
}
