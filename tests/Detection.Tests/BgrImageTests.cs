using OpenCvSharp;

namespace ReId.Detection.Tests;

/// <summary>The pipeline's one BGR image type (src/Abstractions) and its one Mat copy.</summary>
public sealed class BgrImageTests
{
    [Test]
    public void FromMat_RegionOfLargerMat_CopiesOnlyTheRegionPacked()
    {
        using var whole = new Mat(10, 20, MatType.CV_8UC3, new Scalar(1, 2, 3));
        using (var inner = new Mat(whole, new Rect(5, 2, 4, 3)))
        {
            inner.SetTo(new Scalar(10, 20, 30));
        }

        using var region = new Mat(whole, new Rect(4, 2, 6, 3));
        Assert.That(region.IsContinuous(), Is.False, "a region of a wider Mat has row gaps");

        var image = BgrImage.FromMat(region);

        Assert.That((image.Width, image.Height, image.Bgr.Length), Is.EqualTo((6, 3, 6 * 3 * 3)));
        var px = image.Bgr.Span;
        Assert.That(px[..3].ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }), "column 4 lies outside the painted block");
        Assert.That(px[3..6].ToArray(), Is.EqualTo(new byte[] { 10, 20, 30 }));
        Assert.That(px[(6 * 3 * 2 + 3)..(6 * 3 * 2 + 6)].ToArray(), Is.EqualTo(new byte[] { 10, 20, 30 }), "last row, second pixel");
    }

    [Test]
    public void FromMat_BufferOfTheRightSize_IsReused()
    {
        using var mat = new Mat(2, 2, MatType.CV_8UC3, new Scalar(7, 8, 9));
        var buffer = new byte[12];

        var image = BgrImage.FromMat(mat, buffer);

        Assert.That(image.ToArray(), Is.SameAs(buffer));
        Assert.That(buffer, Is.EqualTo(new byte[] { 7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9 }));
        Assert.That(BgrImage.FromMat(mat, new byte[5]).Bgr.Length, Is.EqualTo(12), "a buffer of another size is not used");
    }

    [Test]
    public void FromMat_GreyMat_IsRefused()
    {
        using var grey = new Mat(4, 4, MatType.CV_8UC1);
        Assert.Throws<ArgumentException>(() => BgrImage.FromMat(grey));
    }

    [Test]
    public void Pin_WritesThroughTheMat_AreThePixels()
    {
        var bytes = new byte[4 * 2 * 3];
        var image = new BgrImage(bytes, 4, 2);

        using (var pinned = image.Pin())
        {
            pinned.Mat.SetTo(new Scalar(5, 6, 7));
        }

        Assert.That(bytes[..3], Is.EqualTo(new byte[] { 5, 6, 7 }));
        Assert.That(bytes[^3..], Is.EqualTo(new byte[] { 5, 6, 7 }));
    }

    [Test]
    public void Validate_DefaultImage_Throws()
    {
        Assert.Throws<ArgumentException>(() => default(BgrImage).Validate());
        Assert.Throws<ArgumentException>(() => default(BgrImage).Pin());
    }
}
