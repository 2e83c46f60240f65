using ReId.Trainer.Data;

namespace ReId.Trainer.Tests;

public class SplitsAndSamplingTests
{
    private static TrackletSet Set(int identities) => new("test", "/x",
        Enumerable.Range(0, identities).SelectMany(i => new[]
        {
            new Tracklet($"{i:D4}", 1, [$"/x/{i}_a.jpg"]),
            new Tracklet($"{i:D4}", 2, [$"/x/{i}_b.jpg"]),
        }).ToList());

    [Test]
    public void LastIdentities_KeepsTheLastIdsApartAndNoIdentityInBoth()
    {
        var (train, validation) = Splits.LastIdentities(Set(10), 3);

        Assert.That(validation.Tracklets.Select(t => t.Identity).Distinct(), Is.EqualTo(new[] { "0007", "0008", "0009" }));
        Assert.That(train.IdentityCount, Is.EqualTo(7));
        Assert.That(train.Tracklets.Select(t => t.Identity).Intersect(validation.Tracklets.Select(t => t.Identity)), Is.Empty);
        Assert.That(validation.Tracklets, Has.Count.EqualTo(6));
    }

    [Test]
    public void LastIdentities_AllOfThem_Refused()
    {
        Assert.Throws<DatasetException>(() => Splits.LastIdentities(Set(3), 3));
    }

    [Test]
    public void RandomIdentities_SameSeed_SameSplit()
    {
        var a = Splits.RandomIdentities(Set(20), 0.25, 7).Validation.Tracklets.Select(t => t.Identity).Distinct().ToList();
        var b = Splits.RandomIdentities(Set(20), 0.25, 7).Validation.Tracklets.Select(t => t.Identity).Distinct().ToList();

        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Has.Count.EqualTo(5));
    }

    [Test]
    public void Test_EightFramesInFourChunks_TakesFirstFrameOfEachChunk()
    {
        Assert.That(RestrictedSampling.Test(8, 4), Is.EqualTo(new[] { 0, 2, 4, 6 }));
    }

    [Test]
    public void Train_PicksOneFrameInsideEachChunk()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 200; trial++)
        {
            var picks = RestrictedSampling.Train(10, 4, random);
            for (int i = 0; i < 4; i++)
            {
                var (start, end) = RestrictedSampling.Chunk(10, 4, i);
                Assert.That(picks[i], Is.InRange(start, end - 1));
            }
        }
    }

    [Test]
    public void Train_ShortTracklet_RepeatsFramesInOrder()
    {
        var picks = RestrictedSampling.Train(2, 4, new Random(1));

        Assert.That(picks, Is.Ordered);
        Assert.That(picks, Is.All.InRange(0, 1));
    }
}

public class PseudoLabelerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static SiteTracklet Track(string id, string camera, int startMinute, int endMinute) =>
        new(id, camera, T0.AddMinutes(startMinute), T0.AddMinutes(endMinute), [$"/site/{id}/0.jpg"]);

    [Test]
    public void Label_NoFeedback_EachTrackletItsOwnIdentity()
    {
        var (set, report) = PseudoLabeler.Label("/site", [Track("a", "door", 0, 1), Track("b", "hall", 0, 1)], []);

        Assert.That(set.IdentityCount, Is.EqualTo(2));
        Assert.That(report, Is.EqualTo(new PseudoLabelReport(2, 2, 0, 0)));
    }

    [Test]
    public void Label_ConfirmedCrossCameraPair_Merged()
    {
        var (set, report) = PseudoLabeler.Label("/site",
            [Track("a", "door", 0, 1), Track("b", "hall", 5, 6), Track("c", "hall", 10, 11)],
            [new PairFeedback("a", "b", true)]);

        Assert.That(set.Tracklets[0].Identity, Is.EqualTo(set.Tracklets[1].Identity));
        Assert.That(set.Tracklets[2].Identity, Is.Not.EqualTo(set.Tracklets[0].Identity));
        Assert.That(report.MergesApplied, Is.EqualTo(1));
        Assert.That(set.CameraCount, Is.EqualTo(2));
    }

    [Test]
    public void Label_RejectedPair_KeptApartEvenWhenChainedConfirmationsWouldJoinThem()
    {
        // a=b confirmed, b=c confirmed, but a!=c rejected: the second merge is refused
        var (set, report) = PseudoLabeler.Label("/site",
            [Track("a", "door", 0, 1), Track("b", "hall", 5, 6), Track("c", "yard", 10, 11)],
            [new PairFeedback("a", "c", false), new PairFeedback("a", "b", true), new PairFeedback("b", "c", true)]);

        Assert.That(set.Tracklets[0].Identity, Is.EqualTo(set.Tracklets[1].Identity));
        Assert.That(set.Tracklets[2].Identity, Is.Not.EqualTo(set.Tracklets[0].Identity));
        Assert.That((report.MergesApplied, report.MergesRefused), Is.EqualTo((1, 1)));
    }

    [Test]
    public void Label_ConfirmationsJoiningTwoOverlappingTrackletsOfOneCamera_Refused()
    {
        // a and c overlap in time on the door camera: they cannot be one person, whatever b says
        var (set, report) = PseudoLabeler.Label("/site",
            [Track("a", "door", 0, 10), Track("b", "hall", 20, 21), Track("c", "door", 5, 15)],
            [new PairFeedback("a", "b", true), new PairFeedback("c", "b", true)]);

        Assert.That(set.Tracklets[0].Identity, Is.Not.EqualTo(set.Tracklets[2].Identity));
        Assert.That(report.MergesRefused, Is.EqualTo(1));
    }

    [Test]
    public void Label_FeedbackNamingUnknownTracklet_SaysWhich()
    {
        var e = Assert.Throws<DatasetException>(() =>
            PseudoLabeler.Label("/site", [Track("a", "door", 0, 1)], [new PairFeedback("a", "zz", true)]));

        Assert.That(e!.Message, Does.Contain("zz"));
    }

    [Test]
    public void Unlabeled_LabelledSet_EveryTrackletItsOwnPseudoIdentity()
    {
        var labelled = new TrackletSet("cuhk03", "/x",
            [new Tracklet("1", 1, ["a"]), new Tracklet("1", 2, ["b"]), new Tracklet("2", 1, ["c"])]);

        var (set, _) = PseudoLabeler.Unlabeled(labelled);

        Assert.That(set.IdentityCount, Is.EqualTo(3));
        Assert.That(set.Tracklets.Select(t => t.Camera), Is.EqualTo(new[] { 1, 2, 1 }));
        Assert.That(set.Tracklets.Select(t => t.Frames[0]), Is.EqualTo(new[] { "a", "b", "c" }));
    }
}

public class SiteFolderTests
{
    [Test]
    public void SiteLayout_ExportedTrackletsAndFeedback_PseudoLabelled()
    {
        using var data = new TinyData();
        void Track(string id, string camera, string first, string last, int identity)
        {
            data.Image($"site/tracklets/{id}/0001.jpg", identity);
            data.Image($"site/tracklets/{id}/0002.jpg", identity, 1);
            System.IO.File.WriteAllText(data.Path("site", "tracklets", id, "track.json"),
                $$"""{"camera":"{{camera}}","firstSeen":"{{first}}","lastSeen":"{{last}}"}""");
        }

        Track("t1", "door", "2026-01-01T10:00:00Z", "2026-01-01T10:00:30Z", 1);
        Track("t2", "hall", "2026-01-01T10:02:00Z", "2026-01-01T10:02:30Z", 1);
        Track("t3", "hall", "2026-01-01T10:05:00Z", "2026-01-01T10:05:30Z", 2);
        System.IO.File.WriteAllText(data.Path("site", "feedback.json"),
            """[{"first":"t1","second":"t2","samePerson":true},{"first":"t1","second":"t3","samePerson":false}]""");

        var set = DatasetLayouts.Read("site", data.Path("site"));

        Assert.That(set.Tracklets, Has.Count.EqualTo(3));
        Assert.That(set.IdentityCount, Is.EqualTo(2));
        Assert.That(set.Tracklets[0].Frames, Has.Count.EqualTo(2));
        Assert.That(set.Tracklets.All(t => t.Frames.All(f => f.EndsWith(".jpg", StringComparison.Ordinal))), Is.True);
    }

    [Test]
    public void SiteLayout_FolderWithoutTracklets_SaysWhatWasExpected()
    {
        using var data = new TinyData();
        Directory.CreateDirectory(data.Path("empty"));

        var e = Assert.Throws<DatasetException>(() => DatasetLayouts.Read("site", data.Path("empty")));

        Assert.That(e!.Message, Does.Contain("tracklets/<id>/track.json"));
    }
}

public class FramesTests
{
    [Test]
    public void Read_MissingAndCorruptFiles_SkippedAndCounted()
    {
        using var data = new TinyData();
        string good = data.Image("a/good.jpg", 1);
        string corrupt = data.Path("a", "corrupt.jpg");
        System.IO.File.WriteAllBytes(corrupt, [0xFF, 0xD8, 0x00, 0x01, 0x02]);
        var reader = new FrameReader();

        var crops = new[] { good, corrupt, data.Path("a", "missing.jpg") }.Select(p => reader.Read(p)).ToList();

        Assert.That(crops[0], Is.Not.Null);
        Assert.That(crops[0]!.Value.Bgr.Length, Is.EqualTo(32 * 64 * 3));
        Assert.That(crops[1], Is.Null);
        Assert.That(crops[2], Is.Null);
        Assert.That(reader.Skipped, Is.EqualTo(2));
        Assert.That(reader.SkippedExamples, Does.Contain(corrupt));
    }

    [Test]
    public void Augmentation_FlipOnly_MirrorsTheCrop()
    {
        using var data = new TinyData();
        string path = data.Image("a/x.jpg", 3);
        var reader = new FrameReader();
        var plain = reader.Read(path)!.Value;
        var flipOnly = new Augmentation(FlipProbability: 1, CropProbability: 0, EraseProbability: 0);

        var flipped = reader.Read(path, flipOnly, new Random(1))!.Value.Bgr.Span;

        int w = plain.Width, y = 10;
        for (int x = 0; x < w; x++)
        {
            for (int c = 0; c < 3; c++)
            {
                Assert.That(flipped[(((y * w) + x) * 3) + c], Is.EqualTo(plain.Bgr.Span[(((y * w) + (w - 1 - x)) * 3) + c]));
            }
        }
    }

    [Test]
    public void Augmentation_EraseOnly_ChangesPixelsButKeepsSize()
    {
        using var data = new TinyData();
        string path = data.Image("a/x.jpg", 3);
        var reader = new FrameReader();
        var plain = reader.Read(path)!.Value;

        var erased = reader.Read(path, new Augmentation(0, 0, EraseProbability: 1), new Random(5))!.Value;

        Assert.That((erased.Width, erased.Height), Is.EqualTo((plain.Width, plain.Height)));
        Assert.That(erased.Bgr.ToArray(), Is.Not.EqualTo(plain.Bgr.ToArray()));
    }
}
