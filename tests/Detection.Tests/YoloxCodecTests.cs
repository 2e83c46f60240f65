namespace ReId.Detection.Tests;

public class YoloxCodecTests
{
    [Test]
    public void AnchorCount_416_Is3549() => Assert.That(YoloxCodec.AnchorCount(416), Is.EqualTo(3549));

    [Test]
    public void Letterbox_WideImage_ScalesToWidthPadsBottomWith114()
    {
        // 832x416 white-ish image: ratio 0.5, resized to 416x208, rows 208.. are padding.
        var image = TestImages.Solid(832, 416, 200);
        var chw = new float[3 * 416 * 416];

        float ratio = YoloxCodec.Letterbox(image, chw);

        Assert.That(ratio, Is.EqualTo(0.5f));
        int plane = 416 * 416;
        Assert.Multiple(() =>
        {
            Assert.That(chw[0], Is.EqualTo(200f), "top-left pixel, blue plane");
            Assert.That(chw[(2 * plane) + (207 * 416) + 415], Is.EqualTo(200f), "last image row, red plane");
            Assert.That(chw[plane + (208 * 416)], Is.EqualTo(114f), "first padding row, green plane");
            Assert.That(chw[(3 * plane) - 1], Is.EqualTo(114f), "bottom-right corner");
        });
    }

    [Test]
    public void Letterbox_ChannelOrder_StaysBgr()
    {
        var bytes = new byte[4 * 4 * 3];
        for (int i = 0; i < 16; i++)
        {
            bytes[3 * i] = 10;
            bytes[(3 * i) + 1] = 20;
            bytes[(3 * i) + 2] = 30;
        }

        var chw = new float[3 * 416 * 416];
        YoloxCodec.Letterbox(new BgrImage(bytes, 4, 4), chw);

        int plane = 416 * 416;
        Assert.That(new[] { chw[0], chw[plane], chw[2 * plane] }, Is.EqualTo(new[] { 10f, 20f, 30f }));
    }

    [Test]
    public void Decode_OneAnchorOnStride16Grid_GivesBoxInFramePixels()
    {
        var raw = new float[3549 * 85];
        // Stride 16 grid starts after the 52x52 stride-8 grid; cell (gx=3, gy=5) of the 26x26 grid.
        int anchor = (52 * 52) + (5 * 26) + 3;
        var a = raw.AsSpan(anchor * 85, 85);
        a[0] = 0.5f;                 // cx = (0.5 + 3) * 16 = 56
        a[1] = 0.25f;                // cy = (0.25 + 5) * 16 = 84
        a[2] = MathF.Log(2f);        // w = 2 * 16 = 32
        a[3] = MathF.Log(4f);        // h = 4 * 16 = 64
        a[4] = 0.9f;                 // objectness
        a[5] = 0.8f;                 // person
        a[6] = 0.99f;                // another class: ignored

        // Frame 832x624 letterboxed with ratio 0.5: every network pixel is 2 frame pixels.
        var found = YoloxCodec.Decode(raw, 0.5f, 832, 624, 0.5f);

        Assert.That(found, Has.Count.EqualTo(1));
        var d = found[0];
        Assert.Multiple(() =>
        {
            Assert.That(d.Score, Is.EqualTo(0.72f).Within(1e-5));
            Assert.That(d.Box.X, Is.EqualTo((56 - 16) * 2f).Within(1e-3));
            Assert.That(d.Box.Y, Is.EqualTo((84 - 32) * 2f).Within(1e-3));
            Assert.That(d.Box.Width, Is.EqualTo(64f).Within(1e-3));
            Assert.That(d.Box.Height, Is.EqualTo(128f).Within(1e-3));
        });
    }

    [Test]
    public void Decode_ScoreBelowThreshold_IsDropped()
    {
        var raw = new float[3549 * 85];
        raw[4] = 0.5f;
        raw[5] = 0.5f; // 0.25 < 0.3
        Assert.That(YoloxCodec.Decode(raw, 1f, 416, 416, 0.3f), Is.Empty);
    }

    [Test]
    public void Nms_OverlappingBoxes_KeepsBestAndSeparateOnes()
    {
        var list = new List<PersonDetection>
        {
            new(new Box(0, 0, 10, 20), 0.6f),
            new(new Box(1, 1, 10, 20), 0.9f),
            new(new Box(100, 0, 10, 20), 0.5f),
        };

        var kept = YoloxCodec.Nms(list, 0.45f);

        Assert.That(kept.Select(k => k.Score), Is.EqualTo(new[] { 0.9f, 0.5f }));
    }

    [Test]
    public void Iou_HalfOverlap_IsOneThird()
    {
        var a = new Box(0, 0, 10, 10);
        var b = new Box(5, 0, 10, 10);
        Assert.That(a.Iou(b), Is.EqualTo(50f / 150f).Within(1e-6));
    }
}
