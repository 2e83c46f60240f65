using System.Globalization;

namespace ReId.Tracking.Tests;

public class HotaTests
{
    private static readonly Box Truth = new(0, 0, 10, 20);

    /// <summary>A box over <see cref="Truth"/>'s top part: its IoU with it is height / 20.</summary>
    private static Box Top(float height) => new(0, 0, 10, height);

    [Test]
    public void Evaluate_IdChangesHalfway_AssAHalfDetAOne()
    {
        // Hand-computed: one person, 4 frames, hypothesis 10 then 20 on the exact box. TP 4 at every threshold;
        // each id pair has 2 matches of 4 + 2 - 2 ids' frames: AssA = (2 x 2/4 + 2 x 2/4) / 4 = 0.5; HOTA = sqrt(0.5).
        var gt = Enumerable.Range(1, 4).Select(f => new MotRecord(f, 1, Truth)).ToList();
        var hyp = Enumerable.Range(1, 4).Select(f => new MotRecord(f, f <= 2 ? 10 : 20, Truth)).ToList();

        var h = MotEvaluator.Evaluate(gt, hyp).Hota;

        Assert.Multiple(() =>
        {
            Assert.That(h.DetA, Is.EqualTo(1).Within(1e-12));
            Assert.That(h.AssA, Is.EqualTo(0.5).Within(1e-12));
            Assert.That(h.Hota, Is.EqualTo(Math.Sqrt(0.5)).Within(1e-12));
            Assert.That(h.LocA, Is.EqualTo(1).Within(1e-6));
            Assert.That(h.AssRe, Is.EqualTo(0.5).Within(1e-12), "2 x 2/4 + 2 x 2/4 over 4");
            Assert.That(h.AssPr, Is.EqualTo(1).Within(1e-12), "2 x 2/2 + 2 x 2/2 over 4");
        });
    }

    [Test]
    public void Evaluate_LooseBox_CountsOnlyAtThresholdsUpToItsIou()
    {
        // IoU 0.62 in every frame: a match at alpha 0.05 ... 0.60 (12 of 19), a miss and a false positive above.
        // HOTA = DetA = AssA = 12/19; LocA = (12 x 0.62 + 7 x 1) / 19 (no match counts LocA 1, as in TrackEval).
        var gt = Enumerable.Range(1, 4).Select(f => new MotRecord(f, 1, Truth)).ToList();
        var hyp = Enumerable.Range(1, 4).Select(f => new MotRecord(f, 5, Top(12.4f))).ToList();

        var h = MotEvaluator.Evaluate(gt, hyp).Hota;

        Assert.Multiple(() =>
        {
            Assert.That(h.TruePositives, Is.EqualTo(Enumerable.Repeat(4.0, 12).Concat(Enumerable.Repeat(0.0, 7))));
            Assert.That(h.FalseNegatives[18], Is.EqualTo(4));
            Assert.That(h.FalsePositives[18], Is.EqualTo(4));
            Assert.That(h.Hota, Is.EqualTo(12.0 / 19).Within(1e-12));
            Assert.That(h.DetA, Is.EqualTo(12.0 / 19).Within(1e-12));
            Assert.That(h.AssA, Is.EqualTo(12.0 / 19).Within(1e-12));
            Assert.That(h.LocA, Is.EqualTo(((12 * 0.62) + 7) / 19).Within(1e-6));
            Assert.That(h.Hota0, Is.EqualTo(1).Within(1e-12));
        });
    }

    [Test]
    public void Evaluate_CloserBoxOfAnotherId_HotaKeepsTheAlignedId()
    {
        // Hypothesis 10 covers the person in frames 1-3 (IoU 0.88) and loosely in frame 4 (0.62); hypothesis 20
        // appears only in frame 4, closer (0.95). TrackEval's matching maximises alignment x IoU: frame 4 goes to
        // 10 (0.73 x 0.62 > 0.14 x 0.95), so at alpha 0.05 all 4 matches are one id pair and AssA is 1
        // (matching 20 would give (3 x 3/5 + 1 x 1/4) / 4 = 0.5125).
        var gt = Enumerable.Range(1, 4).Select(f => new MotRecord(f, 1, Truth)).ToList();
        var hyp = Enumerable.Range(1, 4).Select(f => new MotRecord(f, 10, f < 4 ? Top(17.6f) : Top(12.4f)))
            .Append(new MotRecord(4, 20, Top(19f))).ToList();

        var h = MotEvaluator.Evaluate(gt, hyp).Hota;

        Assert.That(h.TruePositives[0], Is.EqualTo(4));
        Assert.That(h.AssAAt(0), Is.EqualTo(1).Within(1e-12));
        Assert.That(h.FalsePositives[0], Is.EqualTo(1), "hypothesis 20 is a false positive");
    }

    [Test]
    public void Evaluate_NoHypotheses_AllMissedLocAOne()
    {
        var gt = Enumerable.Range(1, 3).Select(f => new MotRecord(f, 1, Truth)).ToList();

        var h = MotEvaluator.Evaluate(gt, []).Hota;

        Assert.That((h.Hota, h.DetA, h.LocA, h.FalseNegatives[5]), Is.EqualTo((0.0, 0.0, 1.0, 3.0)));
    }

    [Test]
    public void Combine_TwoSequences_SumsCountsAndWeightsAssociation()
    {
        var gt = Enumerable.Range(1, 4).Select(f => new MotRecord(f, 1, Truth)).ToList();
        var split = MotEvaluator.Evaluate(gt, Enumerable.Range(1, 4).Select(f => new MotRecord(f, f <= 2 ? 10 : 20, Truth)));
        var whole = MotEvaluator.Evaluate(gt, Enumerable.Range(1, 4).Select(f => new MotRecord(f, 10, Truth)).Take(2));

        var both = MotMetrics.Combine([split, whole]);

        // Counts summed; AssA is the TP-weighted mean of the sequences' (0.5 on 4 TP, 0.5 on 2 TP); DetA 6 / (6 + 2 FN).
        double assA = ((0.5 * 4) + (whole.Hota.AssA * 2)) / 6;
        double detA = 6.0 / (6 + 2);
        Assert.Multiple(() =>
        {
            Assert.That(whole.Hota.AssA, Is.EqualTo(0.5).Within(1e-12), "2 matches of 4 gt + 2 hyp - 2 frames");
            Assert.That(both.Hota.AssA, Is.EqualTo(assA).Within(1e-12));
            Assert.That(both.Hota.DetA, Is.EqualTo(detA).Within(1e-12));
            Assert.That(both.Hota.Hota, Is.EqualTo(Math.Sqrt(assA * detA)).Within(1e-12));
            Assert.That((both.GroundTruth, both.Matches, both.IdSwitches), Is.EqualTo((8, 6, 1)));
        });
    }

    [Test]
    public void Evaluate_TudStadtmitteTrackerOutput_MatchesDevkitAndTrackEval()
    {
        string gtPath = SharedData.RequireFile("REID_MOT15_TUD_STADTMITTE_GT", "data/mot15-tud-stadtmitte/gt.txt");
        string folder = Path.GetDirectoryName(gtPath)!;
        string testPath = Path.Combine(folder, "test.txt");
        string expectedPath = Path.Combine(folder, "expected.txt");
        if (!File.Exists(testPath) || !File.Exists(expectedPath))
        {
            Assert.Ignore($"{testPath} or {expectedPath} is absent; this test needs both beside gt.txt.");
        }

        // expected.txt: IDF1 IDP IDR Rcll Prcn GT MT PT ML FP FN IDs FM MOTA MOTP(1-IoU), the devkit's figures.
        var e = File.ReadLines(expectedPath).First(l => l.Length > 0 && l[0] != '#')
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();

        var m = MotEvaluator.Evaluate(MotFile.Read(gtPath), MotFile.Read(testPath));

        Assert.Multiple(() =>
        {
            Assert.That(m.Idf1, Is.EqualTo(e[0]).Within(1e-6), "IDF1");
            Assert.That(m.Idp, Is.EqualTo(e[1]).Within(1e-6), "IDP");
            Assert.That(m.Idr, Is.EqualTo(e[2]).Within(1e-6), "IDR");
            Assert.That(m.Recall, Is.EqualTo(e[3]).Within(1e-6), "recall");
            Assert.That(m.Precision, Is.EqualTo(e[4]).Within(1e-6), "precision");
            Assert.That(m.GroundTruthIds, Is.EqualTo((int)e[5]), "GT ids");
            Assert.That(m.MostlyTracked, Is.EqualTo((int)e[6]), "MT");
            Assert.That(m.PartiallyTracked, Is.EqualTo((int)e[7]), "PT");
            Assert.That(m.MostlyLost, Is.EqualTo((int)e[8]), "ML");
            Assert.That(m.FalsePositives, Is.EqualTo((int)e[9]), "FP");
            Assert.That(m.Misses, Is.EqualTo((int)e[10]), "FN");
            Assert.That(m.IdSwitches, Is.EqualTo((int)e[11]), "ID switches");
            Assert.That(m.Fragmentations, Is.EqualTo((int)e[12]), "fragmentations");
            Assert.That(m.Mota, Is.EqualTo(e[13]).Within(1e-6), "MOTA");
            Assert.That(1 - m.Motp, Is.EqualTo(e[14]).Within(1e-6), "MOTP (1 - IoU)");

            // Not in expected.txt: TrackEval's HOTA for this pair, from its trackeval/metrics/hota.py run (numpy,
            // scipy) on the same two files with MOT15 loading (flag-0 ground truth dropped, 179 timesteps).
            Assert.That(m.Hota.Hota, Is.EqualTo(0.397849).Within(1e-6), "HOTA");
            Assert.That(m.Hota.DetA, Is.EqualTo(0.392268).Within(1e-6), "DetA");
            Assert.That(m.Hota.AssA, Is.EqualTo(0.408841).Within(1e-6), "AssA");
            Assert.That(m.Hota.LocA, Is.EqualTo(0.737521).Within(1e-6), "LocA");
            Assert.That(m.Hota.AssRe, Is.EqualTo(0.449219).Within(1e-6), "AssRe");
            Assert.That(m.Hota.AssPr, Is.EqualTo(0.631203).Within(1e-6), "AssPr");
        });
    }
}
