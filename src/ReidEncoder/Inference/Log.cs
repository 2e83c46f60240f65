using Microsoft.Extensions.Logging;

namespace ReId.ReidEncoder;

internal static partial class Log
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Re-id encoder {ModelVersion} on {Device} ({Precision}), {Frames} frames per tracklet")]
    public static partial void Started(ILogger logger, string modelVersion, string device, string precision, int frames);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "Re-id encoding of a batch of {Tracklets} tracklets failed")]
    public static partial void BatchFailed(ILogger logger, Exception exception, int tracklets);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Re-id encoder stopped after {Batches} batches, {Tracklets} tracklets")]
    public static partial void Stopped(ILogger logger, long batches, long tracklets);
}
