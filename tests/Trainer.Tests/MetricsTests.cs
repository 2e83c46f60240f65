using ReId.Trainer.Evaluation;

namespace ReId.Trainer.Tests;

public class MetricsTests
{
    private static float[] V(params float[] v)
    {
        float n = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / n).ToArray();
    }

    [Test]
    public void Evaluate_PerfectSeparation_AllRanksAndMapAreHundred()
    {
        var e = new[] { V(1, 0), V(0, 1), V(1, 0.01f), V(0.01f, 1) };
        var m = Metrics.Evaluate(e, ["a", "b", "a", "b"], [1, 1, 2, 2]);

        Assert.That((m.Rank1, m.Rank5, m.MeanAp, m.Queries), Is.EqualTo((100.0, 100.0, 100.0, 4)));
    }

    [Test]
    public void Evaluate_MatchAtSecondPlace_RankOneMissesAndApIsHalf()
    {
        // query q (camera 1, identity a); gallery on camera 2: wrong one closest, then the match
        var q = V(1, 0);
        var wrong = V(1, 0.1f);
        var right = V(1, 0.5f);
        var m = Metrics.Evaluate([0], [1, 2], [q, wrong, right], ["a", "x", "a"], [1, 2, 2]);

        Assert.That(m.Rank1, Is.EqualTo(0));
        Assert.That(m.Rank5, Is.EqualTo(100));
        Assert.That(m.MeanAp, Is.EqualTo(50).Within(1e-9));
    }

    [Test]
    public void Evaluate_TwoMatches_ApAveragesPrecisionAtEachHit()
    {
        // ranking: match, other, match -> AP = (1/1 + 2/3) / 2
        var q = V(1, 0, 0);
        var g1 = V(1, 0.1f, 0);
        var g2 = V(1, 0.3f, 0);
        var g3 = V(1, 0.6f, 0);
        var m = Metrics.Evaluate([0], [1, 2, 3], [q, g1, g2, g3], ["a", "a", "b", "a"], [1, 2, 2, 2]);

        Assert.That(m.MeanAp, Is.EqualTo(100 * (1 + (2.0 / 3)) / 2).Within(1e-9));
        Assert.That(m.Rank1, Is.EqualTo(100));
    }

    [Test]
    public void Evaluate_SameCameraNeighbour_IsNotInTheGallery()
    {
        // the identical same-camera tracklet of another person must not count as rank 1
        var e = new[] { V(1, 0), V(1, 0), V(0.8f, 0.6f) };
        var m = Metrics.Evaluate([0], [1, 2], e, ["a", "b", "a"], [1, 1, 2]);

        Assert.That(m.Rank1, Is.EqualTo(100));
    }

    [Test]
    public void Evaluate_QueryWithoutMatchInOtherCameras_IsLeftOutAndCounted()
    {
        var e = new[] { V(1, 0), V(0, 1), V(1, 0.1f) };
        var m = Metrics.Evaluate([0, 1], [0, 1, 2], e, ["a", "b", "a"], [1, 1, 2]);

        Assert.That((m.Queries, m.QueriesWithoutMatch, m.Rank1), Is.EqualTo((1, 1, 100.0)));
    }

    [Test]
    public void Evaluate_NoQueryHasAMatch_Throws()
    {
        var e = new[] { V(1, 0), V(0, 1) };

        Assert.Throws<InvalidOperationException>(() => Metrics.Evaluate(e, ["a", "b"], [1, 2]));
    }

    [Test]
    public void ToTableRow_FormatsFiguresWithOneDecimal()
    {
        var m = new ReidMetrics(50, 75.26, 80, 90, 42.04, 8, 0);

        Assert.That(m.ToTableRow("x"), Is.EqualTo("| x | 50.0 | 75.3 | 80.0 | 90.0 | 42.0 | 8 |"));
    }
}
