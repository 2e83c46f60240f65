namespace ReId.Ingest;

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
    TimeSpan DecoderCpu);
