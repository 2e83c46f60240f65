namespace ReId.Detection;

/// <summary>Finds people in frames. Not thread-safe: one caller at a time (a <see cref="DetectionBatcher"/> serialises).</summary>
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
