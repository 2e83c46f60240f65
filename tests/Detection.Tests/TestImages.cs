using OpenCvSharp;

namespace ReId.Detection.Tests;

internal static class TestImages
{
    /// <summary>Reads frame <paramref name="index"/> of a video as a packed BGR24 image.</summary>
    public static BgrImage VideoFrame(string path, int index)
    {
        using var capture = new VideoCapture(path);
        Assert.That(capture.IsOpened(), Is.True, $"cannot open {path}");
        capture.Set(VideoCaptureProperties.PosFrames, index);
        using var frame = new Mat();
        Assert.That(capture.Read(frame), Is.True, $"cannot read frame {index} of {path}");
        return FromMat(frame);
    }

    public static BgrImage FromMat(Mat mat) => BgrImage.FromMat(mat);

    public static BgrImage Solid(int width, int height, byte value)
    {
        var bytes = new byte[width * height * 3];
        Array.Fill(bytes, value);
        return new BgrImage(bytes, width, height);
    }
}
