using OpenCvSharp;
using ReId.Trainer.Training;
using static TorchSharp.torch;

namespace ReId.Trainer.Evaluation;

/// <summary>
/// A picture of where the spatial attention models look: one row per validation crop, the crop and then each of
/// the K masks as a heat map over it (red: most weight), each mask scaled to its own maximum.
/// </summary>
internal static class MaskPictures
{
    private const int CropWidth = 64;
    private const int CropHeight = 128;

    /// <summary>Writes a PNG of the first frame of <paramref name="count"/> evaluation tracklets (distinct identities).</summary>
    public static void Write(string path, Experiment experiment, TrainableEncoder encoder, Device device, int count = 6)
    {
        var split = experiment.Evaluation;
        var picks = Enumerable.Range(0, split.Tracklets.Count)
            .Where(i => i < split.Sources.Count && split.Sources[i].Frames.Count == split.Tracklets[i].Frames.Length)
            .DistinctBy(i => split.Tracklets[i].Identity).Take(count).ToList();
        if (picks.Count == 0) throw new InvalidOperationException("no evaluation tracklet to draw masks for.");
        encoder.To(device);
        encoder.Eval();
        float[] masks;
        long k, h, w;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            using var output = encoder.Forward(experiment.Cache.Batch(picks.Select(i => split.Tracklets[i]).ToList(), 1, null, device));
            var m = output.Masks.to(ScalarType.Float32).cpu(); // [B, 1, K, h, w]
            (k, h, w) = (m.shape[2], m.shape[3], m.shape[4]);
            masks = m.data<float>().ToArray();
        }

        using var sheet = new Mat(CropHeight * picks.Count, CropWidth * (int)(k + 1), MatType.CV_8UC3, Scalar.White);
        for (int row = 0; row < picks.Count; row++)
        {
            using var image = Cv2.ImRead(split.Sources[picks[row]].Frames[0], ImreadModes.Color);
            using var crop = new Mat();
            Cv2.Resize(image, crop, new OpenCvSharp.Size(CropWidth, CropHeight));
            crop.CopyTo(sheet[new Rect(0, row * CropHeight, CropWidth, CropHeight)]);
            for (int r = 0; r < k; r++)
            {
                int offset = (int)(((row * k) + r) * h * w);
                var cells = masks.AsSpan(offset, (int)(h * w)).ToArray();
                float max = Math.Max(1e-12f, cells.Max());
                using var small = new Mat((int)h, (int)w, MatType.CV_8UC1);
                for (int y = 0; y < h; y++)
                {
                    for (int x = 0; x < w; x++)
                    {
                        small.Set(y, x, (byte)Math.Clamp(cells[(y * w) + x] / max * 255, 0, 255));
                    }
                }

                using var large = new Mat();
                Cv2.Resize(small, large, new OpenCvSharp.Size(CropWidth, CropHeight), interpolation: InterpolationFlags.Linear);
                using var heat = new Mat();
                Cv2.ApplyColorMap(large, heat, ColormapTypes.Jet);
                using var blended = new Mat();
                Cv2.AddWeighted(crop, 0.45, heat, 0.55, 0, blended);
                blended.CopyTo(sheet[new Rect((r + 1) * CropWidth, row * CropHeight, CropWidth, CropHeight)]);
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!Cv2.ImWrite(path, sheet)) throw new IOException($"could not write the mask picture {path}.");
    }
}
