using System.Runtime.InteropServices;
using OpenCvSharp;
using ReId.Detection;

namespace ReId.Tracking;

/// <summary>Copies a box out of a frame at the re-id crop size and measures its sharpness.</summary>
internal static class CropCutter
{
    /// <summary>
    /// Writes the crop (128x256 BGR24, stretched to the box like the re-id training data) into
    /// <paramref name="crop"/> and returns the variance of its Laplacian, or null when the box lies (almost) outside
    /// the frame.
    /// </summary>
    public static float? Cut(Mat frame, BoxF box, byte[] crop)
    {
        var clipped = box.ClipTo(frame.Width, frame.Height);
        int x0 = (int)MathF.Floor(clipped.X), y0 = (int)MathF.Floor(clipped.Y);
        int x1 = Math.Min(frame.Width, (int)MathF.Ceiling(clipped.Right));
        int y1 = Math.Min(frame.Height, (int)MathF.Ceiling(clipped.Bottom));
        if (x1 - x0 < 4 || y1 - y0 < 8)
        {
            return null;
        }

        if (crop.Length != TrackletSample.CropBytes)
        {
            throw new ArgumentException($"A crop buffer needs {TrackletSample.CropBytes} bytes; got {crop.Length}.", nameof(crop));
        }

        var handle = GCHandle.Alloc(crop, GCHandleType.Pinned);
        try
        {
            using var roi = new Mat(frame, new Rect(x0, y0, x1 - x0, y1 - y0));
            using var dst = Mat.FromPixelData(TrackletSample.CropHeight, TrackletSample.CropWidth, MatType.CV_8UC3,
                handle.AddrOfPinnedObject());
            Cv2.Resize(roi, dst, new Size(TrackletSample.CropWidth, TrackletSample.CropHeight), 0, 0, InterpolationFlags.Area);
            using var grey = new Mat();
            Cv2.CvtColor(dst, grey, ColorConversionCodes.BGR2GRAY);
            using var laplacian = new Mat();
            Cv2.Laplacian(grey, laplacian, MatType.CV_16S);
            Cv2.MeanStdDev(laplacian, out _, out var std);
            return (float)(std.Val0 * std.Val0);
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>JPEG of a 128x256 crop.</summary>
    public static byte[] Jpeg(ReadOnlyMemory<byte> crop)
    {
        var pixels = crop.ToArray();
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            using var mat = Mat.FromPixelData(TrackletSample.CropHeight, TrackletSample.CropWidth, MatType.CV_8UC3,
                handle.AddrOfPinnedObject());
            Cv2.ImEncode(".jpg", mat, out byte[] jpeg, [(int)ImwriteFlags.JpegQuality, 90]);
            return jpeg;
        }
        finally
        {
            handle.Free();
        }
    }
}
