using Microsoft.Extensions.Logging;

namespace ReId.Ingest;

/// <summary>Ingest log messages; event ids 1000-1099. URLs passed here are already masked.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Camera {CameraId} ({Url}): {State}")]
    public static partial void StateChanged(ILogger logger, string cameraId, string url, CameraState state);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Camera {CameraId} ({Url}): {Error}")]
    public static partial void SourceFailed(ILogger logger, string cameraId, string url, string error);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Camera {CameraId}: reconnecting in {Delay} (attempt {Attempt})")]
    public static partial void ReconnectScheduled(ILogger logger, string cameraId, TimeSpan delay, int attempt);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Camera {CameraId}: ffmpeg started, pid {ProcessId}")]
    public static partial void DecoderStarted(ILogger logger, string cameraId, int processId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Trace, Message = "Camera {CameraId} ffmpeg: {Line}")]
    public static partial void DecoderOutput(ILogger logger, string cameraId, string line);
}
