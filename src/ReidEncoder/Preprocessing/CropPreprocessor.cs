using OpenCvSharp;
using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>
/// The one place where crops become trunk input, for the service and the trainer alike: resize to the model's
/// input size (bilinear; crops already at that size are not touched), order the channels, normalise.
/// </summary>
public static class CropPreprocessor
{
    /// <summary>crops -> float32 tensor [M, 3, height, width] on the CPU.</summary>
    public static Tensor ToTensor(IReadOnlyList<Crop> crops, PixelNormalization normalization, int height = 256, int width = 128)
    {
        ArgumentNullException.ThrowIfNull(crops);
        ArgumentNullException.ThrowIfNull(normalization);
        if (crops.Count == 0) throw new ArgumentException("no crops to preprocess.", nameof(crops));
        int plane = height * width;
        var buffer = new float[crops.Count * 3 * plane];
        for (int i = 0; i < crops.Count; i++)
        {
            Fill(crops[i], normalization, height, width, buffer.AsSpan(i * 3 * plane, 3 * plane));
        }
        return tensor(buffer, [crops.Count, 3, height, width]);
    }

    /// <summary>Writes one crop, normalised, as 3 planes of height x width into destination.</summary>
    public static void Fill(Crop crop, PixelNormalization normalization, int height, int width, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        crop.Validate();
        int plane = height * width;
        if (destination.Length != 3 * plane) throw new ArgumentException($"destination needs {3 * plane} floats, has {destination.Length}.");
        if (crop.Width == width && crop.Height == height)
        {
            Normalize(crop.Bgr.Span, normalization, plane, destination);
            return;
        }
        var resized = new byte[plane * 3];
        unsafe
        {
            fixed (byte* src = crop.Bgr.Span)
            fixed (byte* dst = resized)
            {
                using var source = Mat.FromPixelData(crop.Height, crop.Width, MatType.CV_8UC3, (IntPtr)src);
                using var target = Mat.FromPixelData(height, width, MatType.CV_8UC3, (IntPtr)dst);
                Cv2.Resize(source, target, new OpenCvSharp.Size(width, height), 0, 0, InterpolationFlags.Linear);
            }
        }
        Normalize(resized, normalization, plane, destination);
    }

    private static void Normalize(ReadOnlySpan<byte> bgr, PixelNormalization n, int plane, Span<float> destination)
    {
        bool rgb = n.ColorOrder == "rgb";
        for (int c = 0; c < 3; c++)
        {
            int sourceChannel = rgb ? 2 - c : c;
            float scale = n.Scale / n.Std[c], offset = n.Mean[c] / n.Std[c];
            var dst = destination.Slice(c * plane, plane);
            for (int p = 0; p < plane; p++) dst[p] = (bgr[(p * 3) + sourceChannel] * scale) - offset;
        }
    }
}
