using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ReId.Detection;

/// <summary>Creates person detectors by name.</summary>
public static class DetectorRegistry
{
    private static readonly string[] KnownNames = ["auto", "yolox", "hog"];

    /// <summary>The valid detector names.</summary>
    public static IReadOnlyList<string> Names => KnownNames;

    /// <summary>
    /// Creates the detector <see cref="DetectorOptions.Detector"/> names. "auto" whose model file is absent gives
    /// the HOG detector, logged as a warning and stated in its <see cref="IPersonDetector.Description"/>; "yolox"
    /// needs the model file.
    /// </summary>
    /// <exception cref="ArgumentException">an unknown name or a bad setting.</exception>
    /// <exception cref="InvalidDataException">a model file that cannot be loaded or does not fit.</exception>
    public static IPersonDetector Create(DetectorOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ReId.Detection");
        switch (options.Detector.Trim().ToLowerInvariant())
        {
            case "auto":
                if (!File.Exists(options.ModelPath))
                {
                    string reason = $"model file '{options.ModelPath}' not found";
                    DetectionLog.FallingBackToHog(logger, options.ModelPath);
                    return new HogDetector(options, $"hog (fallback: {reason})");
                }

                return YoloxDetector.Load(options, logger);
            case "yolox":
                if (!File.Exists(options.ModelPath))
                {
                    throw new ArgumentException(
                        $"Detection:ModelPath = '{options.ModelPath}' does not exist; Detector yolox needs the YOLOX ONNX file (Detector auto falls back to HOG).");
                }

                return YoloxDetector.Load(options, logger);
            case "hog":
                return new HogDetector(options, "hog (OpenCV default people detector, chosen by configuration)");
            default:
                throw new ArgumentException(
                    $"Detection:Detector = '{options.Detector}' is unknown; valid names: {string.Join(", ", KnownNames)}.");
        }
    }
}
