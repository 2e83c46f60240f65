using OpenCvSharp;
using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>
/// The one place where crops become trunk input, for the service and the trainer alike: resize to the model's
/// input size (bilinear; crops already at that size are copied as they are), then, as tensor operations on any
/// device, order the channels and normalise. The encoder ships the resized bytes to the device (a quarter of
/// the float32 volume) and normalises there.
/// </summary>
public static class CropPreprocessor
{
    /// <summary>crops -> float32 tensor [M, 3, height, width] on the CPU.</summary>
    public static Tensor ToTensor(IReadOnlyList<Crop> crops, PixelNormalization normalization, int height = 256, int width = 128)
    {
        ArgumentNullException.ThrowIfNull(crops);
        ArgumentNullException.ThrowIfNull(normalization);
        if (crops.Count == 0) throw new ArgumentException("no crops to preprocess.", nameof(crops));
        int size = height * width * 3;
        var bytes = new byte[crops.Count * size];
        for (int i = 0; i < crops.Count; i++) FillBytes(crops[i], height, width, bytes.AsSpan(i * size, size));
        using var scope = NewDisposeScope();
        var raw = tensor(bytes, [crops.Count, height, width, 3]);
        return Normalize(raw, normalization).MoveToOuterDisposeScope();
    }

    /// <summary>Writes one crop, resized to height x width, as packed BGR24 bytes into destination.</summary>
    public static void FillBytes(Crop crop, int height, int width, Span<byte> destination)
    {
        crop.Validate();
        int size = height * width * 3;
        if (destination.Length != size) throw new ArgumentException($"destination needs {size} bytes, has {destination.Length}.");
        if (crop.Width == width && crop.Height == height)
        {
            crop.Bgr.Span.CopyTo(destination);
            return;
        }
        unsafe
        {
            fixed (byte* src = crop.Bgr.Span)
            fixed (byte* dst = destination)
            {
                using var source = Mat.FromPixelData(crop.Height, crop.Width, MatType.CV_8UC3, (IntPtr)src);
                using var target = Mat.FromPixelData(height, width, MatType.CV_8UC3, (IntPtr)dst);
                Cv2.Resize(source, target, new OpenCvSharp.Size(width, height), 0, 0, InterpolationFlags.Linear);
            }
        }
    }

    /// <summary>
    /// Packed BGR24 bytes [M, H, W, 3] (uint8, any device) -> trunk input [M, 3, H, W] of dtype on the same device:
    /// value = (byte * Scale - Mean[c]) / Std[c], channels in the normalisation's colour order.
    /// </summary>
    public static Tensor Normalize(Tensor bgrBytes, PixelNormalization normalization, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(bgrBytes);
        ArgumentNullException.ThrowIfNull(normalization);
        if (bgrBytes.dim() != 4 || bgrBytes.shape[3] != 3 || bgrBytes.dtype != ScalarType.Byte)
        {
            throw new ArgumentException($"expected uint8 [M, H, W, 3], got {bgrBytes.dtype} [{string.Join(", ", bgrBytes.shape)}].", nameof(bgrBytes));
        }
        using var scope = NewDisposeScope();
        var x = bgrBytes.to(ScalarType.Float32);
        if (normalization.ColorOrder == "rgb") x = x.flip(3);
        var std = normalization.Std.ToArray();
        var scale = tensor(std.Select(s => normalization.Scale / s).ToArray(), device: x.device).reshape(1, 3, 1, 1);
        var offset = tensor(normalization.Mean.Select((m, c) => m / std[c]).ToArray(), device: x.device).reshape(1, 3, 1, 1);
        var result = (x.permute(0, 3, 1, 2) * scale - offset).contiguous().to(dtype);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Writes one crop, resized and normalised, as 3 planes of height x width into destination.</summary>
    public static void Fill(Crop crop, PixelNormalization normalization, int height, int width, Span<float> destination)
    {
        if (destination.Length != 3 * height * width) throw new ArgumentException($"destination needs {3 * height * width} floats, has {destination.Length}.");
        using var scope = NewDisposeScope();
        using var t = ToTensor([crop], normalization, height, width);
        t.data<float>().CopyTo(destination);
    }
}
