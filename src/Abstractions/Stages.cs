namespace ReId;

// The stage interfaces the pipeline composes. Each stage implements its own directly (Ingest's Camera, Detection's
// detectors, Tracking's trackers, the encoder, Search's sighting service): no adapter copies a frame, a box or a crop.

/// <summary>
/// A decoded frame: BGR24 pixels in a pooled buffer with one owner at a time; whoever holds it last disposes it,
/// which returns the buffer. <see cref="Image"/> must not be used after that.
/// </summary>
public interface IFrame : IDisposable
{
    /// <summary>The camera that produced the frame.</summary>
    string CameraId { get; }

    /// <summary>Frame number of this camera, from 0.</summary>
    long Sequence { get; }

    /// <summary>Wall-clock time for live cameras; recording start plus stream time for files.</summary>
    DateTimeOffset CaptureTime { get; }

    /// <summary>The pixels.</summary>
    BgrImage Image { get; }
}

/// <summary>Where a camera stands.</summary>
public enum CameraState
{
    /// <summary>Starting its first connection (or opening its file).</summary>
    Connecting,

    /// <summary>Frames are flowing.</summary>
    Streaming,

    /// <summary>A live camera lost its stream (or could not get it) and is retrying with back-off.</summary>
    Reconnecting,

    /// <summary>Given up: a file that is not a video or is damaged, or ffmpeg could not be started. See LastError.</summary>
    Failed,

    /// <summary>Stopped by its owner, or a file played to its end.</summary>
    Stopped,
}

/// <summary>A snapshot of one camera.</summary>
/// <param name="CameraId">The camera's id.</param>
/// <param name="Url">The camera's URL or file, password masked.</param>
/// <param name="State">Where it stands.</param>
/// <param name="FramesDecoded">Frames read from the decoder.</param>
/// <param name="FramesDelivered">Frames taken by the consumer.</param>
/// <param name="FramesDropped">Frames dropped (oldest first) because the consumer was slow.</param>
/// <param name="Reconnects">Connection attempts after a failure.</param>
/// <param name="LastError">The last failure, password masked; null when none.</param>
/// <param name="LastErrorTime">When the last failure happened.</param>
/// <param name="Fps">Frames decoded per second over the last measured second.</param>
/// <param name="SourceWidth">Width of the source stream before scaling, once known.</param>
/// <param name="SourceHeight">Height of the source stream before scaling, once known.</param>
/// <param name="DecoderProcessId">The ffmpeg process now decoding, if any.</param>
/// <param name="DecoderCpu">CPU time used by this camera's ffmpeg processes so far.</param>
public sealed record CameraStatus(
    string CameraId,
    string Url,
    CameraState State,
    long FramesDecoded,
    long FramesDelivered,
    long FramesDropped,
    int Reconnects,
    string? LastError,
    DateTimeOffset? LastErrorTime,
    double Fps,
    int? SourceWidth,
    int? SourceHeight,
    int? DecoderProcessId,
    TimeSpan DecoderCpu)
{
    /// <summary>While not streaming: since when (the last frame of its last stream, or its start); null while streaming or
    /// when unknown. Readiness reports a camera down longer than its stall timeout.</summary>
    public DateTimeOffset? DownSince { get; init; }
}

/// <summary>A camera (RTSP or file): gives timestamped frames until it ends, fails for good, or is stopped.</summary>
public interface ICameraSource : IAsyncDisposable
{
    /// <summary>The camera's id, carried by every frame.</summary>
    string Id { get; }

    /// <summary>A snapshot of the camera; its URL is masked.</summary>
    CameraStatus Status { get; }

    /// <summary>Runs until the source ends (files), fails for good, or is cancelled; then ends <see cref="ReadFramesAsync"/>.</summary>
    Task<CameraStatus> RunAsync(CancellationToken cancellationToken = default);

    /// <summary>The frames in order; each one read is the reader's to dispose.</summary>
    IAsyncEnumerable<IFrame> ReadFramesAsync(CancellationToken cancellationToken = default);
}

/// <summary>Finds people in frames, possibly of several cameras at once. Not thread-safe: one caller at a time.</summary>
public interface IPersonDetector : IDisposable
{
    /// <summary>The registry name ("yolox", "hog").</summary>
    string Name { get; }

    /// <summary>What runs, in words: model, provider, and why a fallback was taken if one was.</summary>
    string Description { get; }

    /// <summary>The most images <see cref="Detect"/> takes in one model run; larger lists are split.</summary>
    int MaxBatch { get; }

    /// <summary>
    /// Detects people in each image (of any size, mixed sizes allowed); result i belongs to image i, best score
    /// first.
    /// </summary>
    IReadOnlyList<IReadOnlyList<PersonDetection>> Detect(IReadOnlyList<BgrImage> images);
}

/// <summary>Turns tracklets (their crops, in time order) into L2-normalised embeddings.</summary>
public interface ITrackletEmbedder : IAsyncDisposable
{
    /// <summary>The model version every embedding is stored under.</summary>
    string ModelVersion { get; }

    /// <summary>Which model is in use, in words (for the start line and /api/info).</summary>
    string ModelDescription => ModelVersion;

    /// <summary>Floats in each embedding; the service refuses to start (or to load a model) unless it is <see cref="Embedding.Dimension"/>.</summary>
    int Dimension { get; }

    /// <summary>Embeds each tracklet's crops: result i belongs to tracklet i.</summary>
    Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<IReadOnlyList<BgrImage>> tracklets, CancellationToken cancellationToken = default);
}

/// <summary>Checks between stages made once, at start.</summary>
public static class StageChecks
{
    /// <summary>Throws unless an encoder's embeddings fit the store.</summary>
    /// <exception cref="InvalidOperationException">the sizes differ; the message names both.</exception>
    public static void EmbeddingFitsStore(ITrackletEmbedder embedder, int storeDimension)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        if (embedder.Dimension != storeDimension)
        {
            throw new InvalidOperationException(
                $"the encoder model ({embedder.ModelDescription}) gives {embedder.Dimension}-d embeddings but the sighting store keeps {storeDimension}-d ones; use a model with EmbeddingSize {storeDimension} (Encoder:ModelPath)");
        }
    }
}
