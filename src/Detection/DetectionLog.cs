using Microsoft.Extensions.Logging;

namespace ReId.Detection;

/// <summary>Log messages of the detection stage (event ids 2000-2099).</summary>
internal static partial class DetectionLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Warning,
        Message = "Detection model '{Path}' not found; using the HOG people detector instead (lower recall, no small people)")]
    public static partial void FallingBackToHog(ILogger logger, string path);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning,
        Message = "CUDA was asked for but is not available ({Reason}); running the detector on CPU")]
    public static partial void CudaFallback(ILogger logger, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information,
        Message = "Detector loaded: {Description}")]
    public static partial void DetectorLoaded(ILogger logger, string description);
}
