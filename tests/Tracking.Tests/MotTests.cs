using ReId.Detection;

namespace ReId.Tracking.Tests;

public class MotTests
{
    private static MotRecord R(int frame, long id, float x) => new(frame, id, new Box(x, 0, 10, 20));

    [Test]
    public void Evaluate_PerfectTracks_ScoreOne()
    {
        var gt = Enumerable.Range(1, 5).SelectMany(f => new[] { R(f, 1, 0), R(f, 2, 100) }).ToList();
        var hyp = gt.Select(r => r with { Id = r.Id + 40 }).ToList();

        var m = MotEvaluator.Evaluate(gt, hyp);

        Assert.That((m.Mota, m.Idf1, m.Precision, m.Recall, m.IdSwitches), Is.EqualTo((1.0, 1.0, 1.0, 1.0, 0)));
    }

    [Test]
    public void Evaluate_IdChangesHalfway_OneSwitchAndHalfIdf1()
    {
        var gt = Enumerable.Range(1, 4).Select(f => R(f, 1, 0)).ToList();
        var hyp = Enumerable.Range(1, 4).Select(f => R(f, f <= 2 ? 10 : 20, 1)).ToList();

        var m = MotEvaluator.Evaluate(gt, hyp);

        Assert.Multiple(() =>
        {
            Assert.That(m.IdSwitches, Is.EqualTo(1));
            Assert.That(m.Mota, Is.EqualTo(0.75).Within(1e-9));
            Assert.That(m.Idf1, Is.EqualTo(0.5).Within(1e-9), "2 IDTP of 4 + 4 boxes");
        });
    }

    [Test]
    public void Evaluate_MissesAndFalsePositives_AreCounted()
    {
        // Frame 1: matched; frame 2: missed (no hypothesis); frame 3: hypothesis too far away (FP + FN).
        var gt = new[] { R(1, 1, 0), R(2, 1, 0), R(3, 1, 0) };
        var hyp = new[] { R(1, 7, 0), R(3, 7, 50) };

        var m = MotEvaluator.Evaluate(gt, hyp);

        Assert.Multiple(() =>
        {
            Assert.That((m.Matches, m.Misses, m.FalsePositives), Is.EqualTo((1, 2, 1)));
            Assert.That(m.Mota, Is.EqualTo(0).Within(1e-9));
            Assert.That(m.Precision, Is.EqualTo(0.5).Within(1e-9));
            Assert.That(m.Recall, Is.EqualTo(1 / 3.0).Within(1e-9));
        });
    }

    [Test]
    public void Evaluate_Idf1_UsesGlobalMatchingNotPerFrameGreed()
    {
        // Hypothesis 10 covers gt 1 for 3 frames and gt 2 for 1 frame; hypothesis 20 covers gt 2 for 3 frames.
        // The global matching pairs 1-10 and 2-20: IDTP = 6 of 8 + 8 boxes.
        var gt = Enumerable.Range(1, 4).SelectMany(f => new[] { R(f, 1, 0), R(f, 2, 100) }).ToList();
        var hyp = new List<MotRecord>();
        for (int f = 1; f <= 4; f++)
        {
            hyp.Add(R(f, f == 4 ? 20 : 10, 0));
            hyp.Add(R(f, f == 4 ? 10 : 20, 100));
        }

        var m = MotEvaluator.Evaluate(gt, hyp);

        Assert.That(m.IdTruePositives, Is.EqualTo(6));
        Assert.That(m.Idf1, Is.EqualTo(12.0 / 16).Within(1e-9));
        Assert.That(m.IdSwitches, Is.EqualTo(2));
    }

    [Test]
    public void Evaluate_GroundTruthWithZeroConfidence_IsIgnored()
    {
        var gt = new[] { R(1, 1, 0), R(1, 2, 100) with { Confidence = 0 } };
        var m = MotEvaluator.Evaluate(gt, [R(1, 5, 0)]);
        Assert.That((m.GroundTruth, m.Misses), Is.EqualTo((1, 0)));
    }

    [Test]
    public void Evaluate_GapsAndCoverage_CountFragmentationsAndMostlyTrackedLost()
    {
        // Person 1 (5 frames) is missed in frame 3: one fragmentation, 4/5 tracked (mostly tracked). Person 2 is
        // found in frame 1 of 5 only (1/5: partly tracked, no fragmentation: never found again). Person 3 never
        // (mostly lost). The matched IoUs are 1 (person 1) and 0.5 (person 2).
        var gt = Enumerable.Range(1, 5).SelectMany(f => new[] { R(f, 1, 0), R(f, 2, 100), R(f, 3, 200) }).ToList();
        var hyp = new List<MotRecord>();
        foreach (int f in new[] { 1, 2, 4, 5 })
        {
            hyp.Add(R(f, 7, 0));
        }

        hyp.Add(new MotRecord(1, 8, new Box(100, 0, 10, 10)));

        var m = MotEvaluator.Evaluate(gt, hyp);

        Assert.Multiple(() =>
        {
            Assert.That(m.Fragmentations, Is.EqualTo(1));
            Assert.That((m.MostlyTracked, m.PartiallyTracked, m.MostlyLost), Is.EqualTo((1, 1, 1)));
            Assert.That(m.Motp, Is.EqualTo(4.5 / 5).Within(1e-9));
        });
    }

    [Test]
    public void WriteThenParse_RoundTrips()
    {
        var records = new[] { new MotRecord(1, 3, new Box(1.5f, 2, 30, 60), 0.9f), new MotRecord(2, 3, new Box(4, 2, 30, 60), 0.8f) };
        var text = new StringWriter();
        MotFile.Write(text, records);

        var back = MotFile.Parse(new StringReader(text.ToString()));

        Assert.That(back, Is.EqualTo(records));
        Assert.That(text.ToString(), Does.StartWith("1,3,1.5,2,30,60,0.9,-1,-1,-1"));
    }

    [Test]
    public void Parse_BadLine_NamesLineNumberAndText()
    {
        var e = Assert.Throws<FormatException>(() => MotFile.Parse(new StringReader("1,1,0,0,10,20,1\n\n2,x,0,0\n"), "gt.txt"));
        Assert.That(e!.Message, Does.Contain("gt.txt line 3").And.Contain("2,x,0,0"));
    }
}
