namespace ReId.Detection.Tests;

public class TilingTests
{
    [Test]
    public void Of_TwoPerSide_WholeFrameThenFourOverlappingTilesCoveringIt()
    {
        var tiles = ImageTiles.Of(768, 576, 2).ToList();

        Assert.That(tiles, Has.Count.EqualTo(5));
        Assert.That(tiles[0].IsWhole, Is.True);
        Assert.That(tiles.Skip(1).All(t => t.Width == 480 && t.Height == 360), Is.True, "5/8 of each side");
        Assert.That(tiles.Skip(1).Select(t => (t.X, t.Y)), Is.EqualTo(new[] { (0, 0), (288, 0), (0, 216), (288, 216) }));
        Assert.That(ImageTiles.Of(768, 576, 1).Single().IsWhole, Is.True);
    }

    [Test]
    public void ToFrame_MovesBoxesAndDropsThoseCutByAnInnerEdge()
    {
        var tile = ImageTiles.Of(768, 576, 2).ElementAt(4); // bottom right: inner edges left and top
        var inside = new PersonDetection(new Box(100, 100, 20, 50), 0.9f);
        var cutLeft = new PersonDetection(new Box(0, 100, 20, 50), 0.9f);
        var atFrameEdge = new PersonDetection(new Box(450, 300, 30, 60), 0.9f); // touches the frame's right and bottom

        var moved = tile.ToFrame([inside, cutLeft, atFrameEdge]).ToList();

        Assert.That(moved.Select(d => d.Box), Is.EqualTo(new[] { new Box(388, 316, 20, 50), new Box(738, 516, 30, 60) }));
    }

    [Test]
    public void Cut_CopiesTheTilesPixels()
    {
        var pixels = new byte[8 * 4 * 3];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)i;
        }

        var tile = new ImageTiles.Tile(2, 1, 3, 2, 8, 4);
        var cut = tile.Cut(new BgrImage(pixels, 8, 4));

        Assert.That((cut.Width, cut.Height), Is.EqualTo((3, 2)));
        Assert.That(cut.Bgr.Span[0], Is.EqualTo(((1 * 8) + 2) * 3));
        Assert.That(cut.Bgr.Span[3 * 3], Is.EqualTo(((2 * 8) + 2) * 3), "second row starts at the frame's next row");
    }

    [Test]
    public void Detect_Tiles2OnVtest_KeepsWhatTheWholeFrameFindsAndAddsNoDuplicates()
    {
        var whole = new DetectorOptions { Detector = "yolox", ModelPath = SharedData.YoloxModel };
        var frame = TestImages.VideoFrame(SharedData.Vtest, 100);
        using var plain = DetectorRegistry.Create(whole);
        using var tiled = DetectorRegistry.Create(new DetectorOptions { Detector = "yolox", ModelPath = whole.ModelPath, Tiles = 2 });

        var a = plain.Detect([frame])[0].Where(d => d.Score >= 0.5f).ToList();
        var b = tiled.Detect([frame])[0].Where(d => d.Score >= 0.3f).ToList();

        TestContext.Out.WriteLine($"whole frame {a.Count} people >= 0.5, tiled {b.Count(d => d.Score >= 0.5f)}");
        Assert.That(a.All(p => b.Any(q => q.Box.Iou(p.Box) >= 0.5f)), Is.True, "each confident whole-frame person is found tiled too");
        Assert.That(b.Count(d => d.Score >= 0.5f), Is.GreaterThanOrEqualTo(a.Count));
        Assert.That(b.SelectMany((p, i) => b.Skip(i + 1).Select(q => p.Box.Iou(q.Box))).All(iou => iou <= 0.45f), Is.True, "overlaps are suppressed");
    }
}
