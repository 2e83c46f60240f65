namespace ReId.ReidEncoder.Tests;

public class Cuhk03RankingTests
{
    [Test]
    public async Task DefaultModel_OnRealPeople_PutsAPersonsCameraSetsCloserThanOtherPeopleClearlyMoreOftenThanChance()
    {
        TestData.IgnoreWithoutImageNetWeights();
        var identities = TestData.Cuhk03Identities(SharedData.Cuhk03Train, 24);
        Assert.That(identities, Has.Count.EqualTo(24));
        var figures = await Cuhk03Evaluation.RunAsync(identities, framesPerSet: 3).ConfigureAwait(false);
        TestContext.Out.WriteLine(figures);

        // Chance: a random embedding wins a same-person vs other-person comparison half the time and
        // ranks the right person first 1/24 of the time.
        Assert.That(figures.PairwiseWins, Is.GreaterThan(0.65), figures.ToString());
        Assert.That(figures.Rank1, Is.GreaterThan(2 * figures.ChanceRank1), figures.ToString());
        Assert.That(figures.MeanAp, Is.GreaterThan(figures.ChanceMeanAp), figures.ToString());
    }
}

internal sealed record RankingFigures(int Identities, double PairwiseWins, double Rank1, double ChanceRank1, double MeanAp, double ChanceMeanAp)
{
    public override string ToString() =>
        $"{Identities} identities: same-person closer in {PairwiseWins:P1} of comparisons (chance 50%), rank-1 {Rank1:P1} (chance {ChanceRank1:P1}), mAP {MeanAp:P1} (chance {ChanceMeanAp:P1})";
}

internal static class Cuhk03Evaluation
{
    /// <summary>Camera-A sets query camera-B sets (one true match each).</summary>
    public static async Task<RankingFigures> RunAsync(List<(string Person, string[] CameraA, string[] CameraB)> identities, int framesPerSet)
    {
        await using var encoder = new TrackletEncoder(new ReidEncoderOptions { Device = "cpu", Architecture = new DrsaConfig { Frames = framesPerSet } });
        var queries = await Task.WhenAll(identities.Select(i => encoder.EncodeAsync(i.CameraA.Take(framesPerSet).Select(ImageDecoder.Load).ToArray()))).ConfigureAwait(false);
        var gallery = await Task.WhenAll(identities.Select(i => encoder.EncodeAsync(i.CameraB.Take(framesPerSet).Select(ImageDecoder.Load).ToArray()))).ConfigureAwait(false);
        int g = identities.Count;
        double wins = 0, comparisons = 0, rank1 = 0, ap = 0;
        for (int q = 0; q < g; q++)
        {
            var similarity = gallery.Select(x => Dot(queries[q], x)).ToArray();
            int rank = 1 + similarity.Count(s => s > similarity[q]);
            rank1 += rank == 1 ? 1 : 0;
            ap += 1.0 / rank;
            for (int other = 0; other < g; other++)
            {
                if (other == q) continue;
                comparisons++;
                wins += similarity[q] > similarity[other] ? 1 : 0;
            }
        }
        double chanceAp = Enumerable.Range(1, g).Sum(r => 1.0 / r) / g;
        return new RankingFigures(g, wins / comparisons, rank1 / g, 1.0 / g, ap / g, chanceAp);
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
