using OpenCvSharp;

namespace ReId.Detection;

/// <summary>
/// OpenCV's HOG + linear SVM people detector: needs no model file, misses people under about 128 px tall.
/// Its SVM margin is mapped to a score in (0, 1) by a logistic so that thresholds mean roughly the same as YOLOX's.
/// </summary>
internal sealed class HogDetector : IPersonDetector
{
    private readonly HOGDescriptor _hog = new();
    private readonly float _scoreThreshold;
    private readonly float _nmsThreshold;

    public HogDetector(DetectorOptions options, string description)
    {
        _hog.SetSVMDetector(HOGDescriptor.GetDefaultPeopleDetector());
        _scoreThreshold = options.MinScore;
        _nmsThreshold = options.NmsIouThreshold;
        Description = description;
    }

    public string Name => "hog";

    public string Description { get; }

    public int MaxBatch => 1;

    public IReadOnlyList<IReadOnlyList<PersonDetection>> Detect(IReadOnlyList<BgrImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var results = new IReadOnlyList<PersonDetection>[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (image.IsEmpty)
            {
                throw new ArgumentException($"Image {i} of the batch is empty.", nameof(images));
            }

            if (image.Width < 64 || image.Height < 128)
            {
                results[i] = [];
                continue;
            }

            using var pinned = image.Pin();
            var rects = _hog.DetectMultiScale(pinned.Mat, out double[] weights, 0, new Size(8, 8), new Size(8, 8), 1.05, 2);
            var found = new List<PersonDetection>(rects.Length);
            for (int k = 0; k < rects.Length; k++)
            {
                float score = 1f / (1f + MathF.Exp(-2f * (float)weights[k]));
                // The 64x128 detection window has a margin around the person (about 16 px each side, 8 above
                // and below at that scale); trim it so boxes fit the person as YOLOX's do.
                var r = rects[k];
                var box = new Box(r.X + (0.25f * r.Width), r.Y + (0.0625f * r.Height), 0.5f * r.Width, 0.875f * r.Height)
                    .ClipTo(image.Width, image.Height);
                if (score >= _scoreThreshold && box.Area > 0)
                {
                    found.Add(new PersonDetection(box, score));
                }
            }

            results[i] = YoloxCodec.Nms(found, _nmsThreshold);
        }

        return results;
    }

    public void Dispose() => _hog.Dispose();
}
