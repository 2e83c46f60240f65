using System.Threading.Channels;

namespace ReId.Host.Pipeline;

// The pipeline composes the stages through these narrow seams; each stage's own types are adapted to them in
// Pipeline/Adapters, so the composition (channels, batching, metrics, restarts) is independent of any stage.

/// <summary>A decoded frame: BGR24 pixels with one owner; disposing it returns the buffer.</summary>
internal interface IFrame : IDisposable
{
    string CameraId { get; }
    long Sequence { get; }
    DateTimeOffset CaptureTime { get; }
    int Width { get; }
    int Height { get; }
    ReadOnlyMemory<byte> Bgr { get; }
}

internal enum CameraState
{
    Connecting,
    Streaming,
    Reconnecting,
    Failed,
    Stopped,
}

/// <summary>What the API shows of a camera; the URL is already masked.</summary>
internal sealed record CameraStatus(
    string Id, CameraState State, string MaskedUrl, long FramesDelivered, long FramesDropped, int Reconnects,
    double Fps, string? LastError);

internal interface ICameraSource : IAsyncDisposable
{
    string Id { get; }
    ChannelReader<IFrame> Frames { get; }
    CameraStatus Status { get; }
    /// <summary>Runs until the source ends (files), fails for good, or is cancelled; completes <see cref="Frames"/>.</summary>
    Task RunAsync(CancellationToken cancellationToken = default);
}

/// <summary>A person box in frame pixels.</summary>
internal readonly record struct Box(float X, float Y, float W, float H);

internal readonly record struct DetectedPerson(Box Box, float Score);

/// <summary>Finds people in a batch of frames, possibly from different cameras.</summary>
internal interface IFrameDetector : IDisposable
{
    string Name { get; }
    IReadOnlyList<IReadOnlyList<DetectedPerson>> Detect(IReadOnlyList<IFrame> frames);
}

/// <summary>A crop of a person: BGR24 pixels.</summary>
internal sealed record Crop(byte[] Bgr, int Width, int Height);

internal sealed record TrackletSample(DateTimeOffset Time, Box Box, Crop? Crop);

/// <summary>A finished track within one camera.</summary>
internal sealed record Tracklet(
    string CameraId, long TrackId, DateTimeOffset FirstSeen, DateTimeOffset LastSeen,
    IReadOnlyList<TrackletSample> Samples, byte[] ThumbnailJpeg);

/// <summary>One camera's tracker: fed every detected frame in order, gives back the tracks that ended.</summary>
internal interface ICameraTracker
{
    IReadOnlyList<Tracklet> Update(IFrame frame, IReadOnlyList<DetectedPerson> detections);
    /// <summary>Ends every open track (end of a file, shutdown).</summary>
    IReadOnlyList<Tracklet> Flush();
}

/// <summary>Turns tracklets (their crops) into L2-normalised embeddings.</summary>
internal interface ITrackletEmbedder : IAsyncDisposable
{
    string ModelVersion { get; }
    /// <summary>Which model is in use, in words (for the start line and /api/info).</summary>
    string ModelDescription => ModelVersion;
    Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<IReadOnlyList<Crop>> tracklets, CancellationToken cancellationToken = default);
}

internal sealed record SightingSample(DateTimeOffset Time, Box Box);

/// <summary>A stored sighting as the API shows it.</summary>
internal sealed record SightingRecord(
    string Id, string Camera, long Track, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string ModelVersion,
    IReadOnlyList<SightingSample> Samples, string? IdentityId);

internal sealed record ScoredSighting(SightingRecord Sighting, float Score);

internal sealed record SightingQuery(string? Camera, DateTimeOffset? From, DateTimeOffset? To, int Limit);

internal sealed record WhereElseQuery(int K, IReadOnlyList<string>? Cameras, DateTimeOffset? From, DateTimeOffset? To, float MinScore);

internal sealed record IdentityRecord(string Id, IReadOnlyList<string> SightingIds, IReadOnlyList<string> Cameras, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

internal sealed record NewSighting(Tracklet Tracklet, float[] Embedding, string ModelVersion);

/// <summary>The sighting store as the service uses it.</summary>
internal interface ISightingRepository : IAsyncDisposable
{
    Task<string> AddAsync(NewSighting sighting, CancellationToken cancellationToken = default);
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
    Task<IReadOnlyList<(string Id, IReadOnlyList<Crop> Crops)>> StaleAsync(string modelVersion, int limit, CancellationToken cancellationToken = default);
    Task ReplaceEmbeddingAsync(string id, float[] embedding, string modelVersion, CancellationToken cancellationToken = default);
}
