using OpenCvSharp;

namespace ReId.Trainer.Data;

/// <summary>A decoded crop as packed BGR24 bytes.</summary>
/// <summary>
/// Reads crop files. A missing or undecodable file is skipped and counted (a long run must not die on one bad
/// JPEG), and the first few names are kept so the user can find them.
/// </summary>
public sealed class FrameReader
{
    private readonly object _gate = new();
    private readonly List<string> _skippedExamples = [];
    private int _skipped;

    public int Skipped => _skipped;

    public IReadOnlyList<string> SkippedExamples
    {
        get
        {
            lock (_gate)
            {
                return _skippedExamples.ToArray();
            }
        }
    }

    /// <summary>The crop, or null when the file is missing or not an image.</summary>
    public BgrImage? Read(string path, Augmentation? augmentation = null, Random? random = null)
    {
        using var mat = File.Exists(path) ? Cv2.ImRead(path, ImreadModes.Color) : new Mat();
        if (mat.Empty())
        {
            Interlocked.Increment(ref _skipped);
            lock (_gate)
            {
                if (_skippedExamples.Count < 5)
                {
                    _skippedExamples.Add(path);
                }
            }

            return null;
        }

        if (augmentation is not null && random is not null)
        {
            augmentation.Apply(mat, random);
        }

        return ToCrop(mat);
    }

    internal static BgrImage ToCrop(Mat bgr)
    {
        using var packed = bgr.Clone(); // a continuous copy, whatever the source layout
        var bytes = new byte[packed.Width * packed.Height * 3];
        System.Runtime.InteropServices.Marshal.Copy(packed.Data, bytes, 0, bytes.Length);
        return new BgrImage(bytes, packed.Width, packed.Height);
    }
}

/// <summary>
/// Image augmentation for training crops: horizontal flip, a small random crop (scaled back to the original size)
/// and random erasing of a rectangle (Zhong et al. 2020), each with its own probability.
/// </summary>
public sealed record Augmentation(
    double FlipProbability = 0.5,
    double CropProbability = 0.5,
    double MinCropScale = 0.85,
    double EraseProbability = 0.5,
    double MaxEraseArea = 0.3)
{
    public void Apply(Mat bgr, Random random)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        ArgumentNullException.ThrowIfNull(random);
        if (random.NextDouble() < FlipProbability)
        {
            Cv2.Flip(bgr, bgr, FlipMode.Y);
        }

        if (random.NextDouble() < CropProbability)
        {
            double s = MinCropScale + (1 - MinCropScale) * random.NextDouble();
            int w = Math.Max(1, (int)(bgr.Width * s)), h = Math.Max(1, (int)(bgr.Height * s));
            var rect = new Rect(random.Next(bgr.Width - w + 1), random.Next(bgr.Height - h + 1), w, h);
            using var cut = new Mat(bgr, rect).Clone();
            Cv2.Resize(cut, bgr, new Size(bgr.Width, bgr.Height));
        }

        if (random.NextDouble() < EraseProbability)
        {
            double area = (0.02 + (MaxEraseArea - 0.02) * random.NextDouble()) * bgr.Width * bgr.Height;
            double aspect = Math.Exp(Math.Log(0.3) + (Math.Log(3.3) - Math.Log(0.3)) * random.NextDouble());
            int h = Math.Clamp((int)Math.Sqrt(area * aspect), 1, bgr.Height);
            int w = Math.Clamp((int)Math.Sqrt(area / aspect), 1, bgr.Width);
            var rect = new Rect(random.Next(bgr.Width - w + 1), random.Next(bgr.Height - h + 1), w, h);
            using var region = new Mat(bgr, rect);
            region.SetTo(new Scalar(random.Next(256), random.Next(256), random.Next(256)));
        }
    }
}
