using OpenCvSharp;

namespace ReId.Tracking;

/// <summary>Copies a box out of a frame at the re-id crop size and measures its sharpness.</summary>
internal static class CropCutter
{
    /// <summary>
    /// Writes the crop (<see cref="PersonCrop.Width"/> x <see cref="PersonCrop.Height"/> BGR24, stretched to the box
    /// like the re-id training data) into <paramref name="crop"/> and returns the variance of its Laplacian, or null
    /// when the box lies (almost) outside the frame.
    /// </summary>
    public static float? Cut(Mat frame, Box box, byte[] crop)
    {
        var clipped = box.ClipTo(frame.Width, frame.Height);
        int x0 = (int)MathF.Floor(clipped.X), y0 = (int)MathF.Floor(clipped.Y);
        int x1 = Math.Min(frame.Width, (int)MathF.Ceiling(clipped.Right));
        int y1 = Math.Min(frame.Height, (int)MathF.Ceiling(clipped.Bottom));
        if (x1 - x0 < 4 || y1 - y0 < 8)
        {
            return null;
        }

        if (crop.Length != PersonCrop.Bytes)
        {
            throw new ArgumentException($"A crop buffer needs {PersonCrop.Bytes} bytes; got {crop.Length}.", nameof(crop));
        }

        using var dst = new BgrImage(crop, PersonCrop.Width, PersonCrop.Height).Pin();
        using var roi = new Mat(frame, new Rect(x0, y0, x1 - x0, y1 - y0));
        Cv2.Resize(roi, dst.Mat, new Size(PersonCrop.Width, PersonCrop.Height), 0, 0, InterpolationFlags.Area);
        using var grey = new Mat();
        Cv2.CvtColor(dst.Mat, grey, ColorConversionCodes.BGR2GRAY);
        using var laplacian = new Mat();
        Cv2.Laplacian(grey, laplacian, MatType.CV_16S);
        Cv2.MeanStdDev(laplacian, out _, out var std);
        return (float)(std.Val0 * std.Val0);
    }

    /// <summary>JPEG of a crop.</summary>
    public static byte[] Jpeg(BgrImage crop)
    {
        using var pinned = crop.Pin();
        Cv2.ImEncode(".jpg", pinned.Mat, out byte[] jpeg, [(int)ImwriteFlags.JpegQuality, 90]);
        return jpeg;
    }
}
