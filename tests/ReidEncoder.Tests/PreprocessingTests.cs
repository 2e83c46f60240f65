namespace ReId.ReidEncoder.Tests;

public class PreprocessingTests
{
    [Test]
    public void Sample_AtInference_TakesTheFirstFrameOfEachChunk()
    {
        Assert.That(FrameSampling.Sample(16, 4), Is.EqualTo(new[] { 0, 4, 8, 12 }));
        Assert.That(FrameSampling.Sample(10, 4), Is.EqualTo(new[] { 0, 2, 5, 7 }));
    }

    [Test]
    public void Sample_FewerFramesThanN_RepeatsFrames()
    {
        Assert.That(FrameSampling.Sample(3, 6), Is.EqualTo(new[] { 0, 0, 1, 1, 2, 2 }));
        Assert.That(FrameSampling.Sample(1, 4), Is.EqualTo(new[] { 0, 0, 0, 0 }));
    }

    [Test]
    public void Sample_WithRandom_StaysInsideEachChunk()
    {
        var random = new Random(4);
        for (int trial = 0; trial < 50; trial++)
        {
            var picked = FrameSampling.Sample(20, 4, random);
            for (int i = 0; i < 4; i++) Assert.That(picked[i], Is.InRange(i * 5, (i * 5) + 4));
        }
    }

    [Test]
    public void ToTensor_CropAtInputSize_OrdersBgrAndSubtractsTheMeans()
    {
        var bytes = new byte[128 * 256 * 3];
        for (int p = 0; p < 128 * 256; p++)
        {
            bytes[p * 3] = 10; // B
            bytes[(p * 3) + 1] = 20; // G
            bytes[(p * 3) + 2] = 30; // R
        }
        var n = PixelNormalization.ImageNetResNet18;
        using var t = CropPreprocessor.ToTensor([new Crop(bytes, 128, 256)], n);
        Assert.That(t.shape, Is.EqualTo(new long[] { 1, 3, 256, 128 }));
        var values = t.data<float>().ToArray();
        Assert.That(values[0], Is.EqualTo(10 - n.Mean[0]).Within(1e-4f));
        Assert.That(values[256 * 128], Is.EqualTo(20 - n.Mean[1]).Within(1e-4f));
        Assert.That(values[2 * 256 * 128], Is.EqualTo(30 - n.Mean[2]).Within(1e-4f));
    }

    [Test]
    public void ToTensor_RgbNormalization_SwapsChannelsAndScales()
    {
        var bytes = new byte[] { 0, 51, 255 }; // one pixel: B 0, G 51, R 255
        var n = new PixelNormalization { ColorOrder = "rgb", Scale = 1f / 255, Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f] };
        var destination = new float[3];
        CropPreprocessor.Fill(new Crop(bytes, 1, 1), n, 1, 1, destination);
        Assert.That(destination, Is.EqualTo(new[] { 1f, -0.6f, -1f }).Within(1e-5f));
    }

    [Test]
    public void ToTensor_OtherSize_IsResized()
    {
        var bytes = Enumerable.Repeat((byte)200, 50 * 90 * 3).ToArray();
        using var t = CropPreprocessor.ToTensor([new Crop(bytes, 50, 90)], new PixelNormalization());
        Assert.That(t.shape, Is.EqualTo(new long[] { 1, 3, 256, 128 }));
        Assert.That(t.data<float>().ToArray(), Is.All.EqualTo(200f));
    }

    [Test]
    public void Decode_NotAnImage_SaysSo()
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode([1, 2, 3, 4]));
        Assert.That(e!.Message, Does.Contain("not an image"));
    }

    [Test]
    public void Decode_EncodedPng_GivesTheBgrPixels()
    {
        using var mat = new OpenCvSharp.Mat(3, 2, OpenCvSharp.MatType.CV_8UC3, new OpenCvSharp.Scalar(1, 2, 3));
        var png = mat.ImEncode(".png");
        var crop = ImageDecoder.Decode(png);
        Assert.That((crop.Width, crop.Height), Is.EqualTo((2, 3)));
        Assert.That(crop.Bgr.ToArray(), Is.EqualTo(Enumerable.Range(0, 6).SelectMany(_ => new byte[] { 1, 2, 3 }).ToArray()));
    }
}
