using ReId.Trainer.Data;

namespace ReId.Trainer.Tests;

public class DatasetLayoutsTests
{
    private TinyData _data = null!;

    [SetUp]
    public void SetUp() => _data = new TinyData();

    [TearDown]
    public void TearDown() => _data.Dispose();

    [Test]
    public void Cuhk03_PairedCameras_ImagesZeroToFourAreCameraOneAndFiveToNineCameraTwo()
    {
        foreach (var k in new[] { 0, 1, 5, 7 })
        {
            _data.Image($"c/train/0003_{k:D2}.jpg", 3, k);
        }

        _data.Image("c/train/0004_02.jpg", 4);
        _data.Image("c/train/0004_06.jpg", 4);
        System.IO.File.WriteAllText(_data.Path("c", "train", "readme.txt"), "not an image");

        var set = DatasetLayouts.Read("cuhk03", _data.Path("c"));

        Assert.That(set.Tracklets, Has.Count.EqualTo(4));
        var a = set.Tracklets.Single(t => t.Identity == "0003" && t.Camera == 1);
        var b = set.Tracklets.Single(t => t.Identity == "0003" && t.Camera == 2);
        Assert.That(a.Frames.Select(System.IO.Path.GetFileName), Is.EqualTo(new[] { "0003_00.jpg", "0003_01.jpg" }));
        Assert.That(b.Frames.Select(System.IO.Path.GetFileName), Is.EqualTo(new[] { "0003_05.jpg", "0003_07.jpg" }));
        Assert.That(set.CameraCount, Is.EqualTo(2));
    }

    [Test]
    public void Market1501_Subsets_GroupsBySequenceAndDropsJunkAndDistractors()
    {
        _data.Image("m/bounding_box_train/0002_c1s1_000451_03.jpg", 2);
        _data.Image("m/bounding_box_train/0002_c1s1_000301_01.jpg", 2);
        _data.Image("m/bounding_box_train/0002_c2s1_000100_01.jpg", 2);
        _data.Image("m/bounding_box_test/-1_c1s1_000001_01.jpg", 9);
        _data.Image("m/bounding_box_test/0000_c1s1_000001_01.jpg", 9);
        _data.Image("m/bounding_box_test/0007_c3s2_000010_01.jpg", 7);
        _data.Image("m/query/0007_c1s1_000020_00.jpg", 7);

        var set = DatasetLayouts.Read("market1501", _data.Path("m"));

        Assert.That(set.Tracklets, Has.Count.EqualTo(4));
        var first = set.Tracklets.Single(t => t.Identity == "0002" && t.Camera == 1);
        Assert.That(first.Frames.Select(System.IO.Path.GetFileName), Is.EqualTo(new[] { "0002_c1s1_000301_01.jpg", "0002_c1s1_000451_03.jpg" }));
        Assert.That(set.Tracklets.Single(t => t.Subset == "query").Identity, Is.EqualTo("0007"));
        Assert.That(set.Tracklets.Any(t => t.Identity is "-1" or "0000"), Is.False);
    }

    [Test]
    public void Mars_PersonFolders_OneTrackletPerCameraAndTrackOrderedByFrame()
    {
        _data.Image("mars/bbox_train/0001/0001C1T0001F002.jpg", 1);
        _data.Image("mars/bbox_train/0001/0001C1T0001F001.jpg", 1);
        _data.Image("mars/bbox_train/0001/0001C2T0003F001.jpg", 1);
        _data.Image("mars/bbox_test/00-1/00-1C1T0001F001.jpg", 5);
        _data.Image("mars/bbox_test/0005/0005C4T0002F010.jpg", 5);

        var set = DatasetLayouts.Read("mars", _data.Path("mars"));

        Assert.That(set.Tracklets, Has.Count.EqualTo(3));
        var t = set.Tracklets.Single(x => x.Identity == "0001" && x.Camera == 1);
        Assert.That(t.Frames.Select(System.IO.Path.GetFileName), Is.EqualTo(new[] { "0001C1T0001F001.jpg", "0001C1T0001F002.jpg" }));
        Assert.That(set.Tracklets.Single(x => x.Identity == "0005").Subset, Is.EqualTo("bbox_test"));
    }

    [Test]
    public void Prid2011_MultiShot_CamerasAAndBBecomeOneAndTwo()
    {
        _data.Image("prid/multi_shot/cam_a/person_0001/0002.png", 1);
        _data.Image("prid/multi_shot/cam_a/person_0001/0001.png", 1);
        _data.Image("prid/multi_shot/cam_b/person_0001/0001.png", 1);
        _data.Image("prid/multi_shot/cam_b/person_0002/0001.png", 2);

        var set = DatasetLayouts.Read("prid2011", _data.Path("prid"));

        Assert.That(set.Tracklets, Has.Count.EqualTo(3));
        Assert.That(set.Tracklets.Single(t => t.Identity == "0001" && t.Camera == 1).Frames.Select(System.IO.Path.GetFileName),
            Is.EqualTo(new[] { "0001.png", "0002.png" }));
        Assert.That(set.Tracklets.Single(t => t.Identity == "0002").Camera, Is.EqualTo(2));
    }

    [Test]
    public void ILidsVid_Sequences_ReadsBothCameras()
    {
        _data.Image("ilids/i-LIDS-VID/sequences/cam1/person001/cam1_person001_00317.png", 1);
        _data.Image("ilids/i-LIDS-VID/sequences/cam1/person001/cam1_person001_00300.png", 1);
        _data.Image("ilids/i-LIDS-VID/sequences/cam2/person001/cam2_person001_00500.png", 1);

        var set = DatasetLayouts.Read("ilidsvid", _data.Path("ilids"));

        Assert.That(set.Tracklets.Select(t => (t.Identity, t.Camera, t.Frames.Count)),
            Is.EqualTo(new[] { ("001", 1, 2), ("001", 2, 1) }));
        Assert.That(System.IO.Path.GetFileName(set.Tracklets[0].Frames[0]), Is.EqualTo("cam1_person001_00300.png"));
    }

    [Test]
    public void DukeVideo_TrackFolders_OneTrackletPerTrackFolderWithSubset()
    {
        _data.Image("duke/train/0001/0001/0001_C1_F0002_X00002.jpg", 1);
        _data.Image("duke/train/0001/0001/0001_C1_F0001_X00001.jpg", 1);
        _data.Image("duke/train/0001/0002/0001_C2_F0100_X00001.jpg", 1);
        _data.Image("duke/query/0009/0011/0009_C3_F0001_X00001.jpg", 9);
        _data.Image("duke/gallery/0009/0012/0009_C5_F0001_X00001.jpg", 9);

        var set = DatasetLayouts.Read("dukevideo", _data.Path("duke"));

        Assert.That(set.Tracklets, Has.Count.EqualTo(4));
        Assert.That(set.Tracklets.Single(t => t.Subset == "train" && t.Camera == 1).Frames, Has.Count.EqualTo(2));
        Assert.That(set.Tracklets.Single(t => t.Subset == "query").Camera, Is.EqualTo(3));
    }

    [Test]
    public void Read_EmptyFolder_SaysWhichLayoutWasExpected()
    {
        Directory.CreateDirectory(_data.Path("empty"));

        var e = Assert.Throws<DatasetException>(() => DatasetLayouts.Read("market1501", _data.Path("empty")));

        Assert.That(e!.Message, Does.Contain("market1501").And.Contain("PPPP_cCsS_FFFFFF_NN.jpg"));
    }

    [Test]
    public void Read_WrongLayoutsFolder_SaysWhichLayoutWasExpected()
    {
        string cuhk = _data.Cuhk03(2, 1);

        var e = Assert.Throws<DatasetException>(() => DatasetLayouts.Read("mars", cuhk));

        Assert.That(e!.Message, Does.Contain("mars").And.Contain("bbox_train"));
    }

    [Test]
    public void Read_MissingFolder_NamesIt()
    {
        var e = Assert.Throws<DatasetException>(() => DatasetLayouts.Read("cuhk03", _data.Path("nope")));

        Assert.That(e!.Message, Does.Contain("does not exist").And.Contain("nope"));
    }

    [Test]
    public void Get_UnknownName_ListsTheValidLayouts()
    {
        var e = Assert.Throws<DatasetException>(() => DatasetLayouts.Get("viper"));

        Assert.That(e!.Message, Does.Contain("viper").And.Contain("cuhk03").And.Contain("dukevideo").And.Contain("site"));
    }

    [Test]
    public void EnsureTrainable_OneCamera_RefusedWithReason()
    {
        _data.Image("one/0001_00.jpg", 1);
        _data.Image("one/0002_01.jpg", 2);
        var set = DatasetLayouts.Read("cuhk03", _data.Path("one"));

        var e = Assert.Throws<DatasetException>(() => set.EnsureTrainable("Training"));

        Assert.That(e!.Message, Does.Contain("only one camera"));
    }

    [Test]
    public void EnsureTrainable_OneIdentity_RefusedWithReason()
    {
        _data.Image("solo/0001_00.jpg", 1);
        _data.Image("solo/0001_06.jpg", 1);
        var set = DatasetLayouts.Read("cuhk03", _data.Path("solo"));

        var e = Assert.Throws<DatasetException>(() => set.EnsureTrainable("Training"));

        Assert.That(e!.Message, Does.Contain("only one identity"));
    }
}
