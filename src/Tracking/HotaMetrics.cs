using System.Globalization;

namespace ReId.Tracking;

/// <summary>
/// HOTA (Luiten et al., IJCV 2021) as TrackEval computes it (<c>trackeval/metrics/hota.py</c>): at each localisation
/// threshold alpha in 0.05, 0.10, ..., 0.95 the detection accuracy DetA = TP / (TP + FN + FP), the association
/// accuracy AssA (for every true positive, the Jaccard index of its ground-truth and hypothesis ids' matches) and
/// HOTA = sqrt(DetA AssA); the reported figures are the means over the 19 thresholds. LocA is the mean IoU of the
/// matches. The per-threshold sums are kept so sequences combine as TrackEval combines them.
/// </summary>
public sealed record HotaMetrics
{
    /// <summary>The 19 thresholds, computed as numpy's <c>arange(0.05, 0.99, 0.05)</c> does.</summary>
    public static IReadOnlyList<double> Alphas { get; } = Enumerable.Range(0, 19).Select(i => 0.05 + (i * 0.05)).ToArray();

    internal HotaMetrics(double[] truePositives, double[] falseNegatives, double[] falsePositives,
        double[] assASum, double[] assReSum, double[] assPrSum, double[] locSum)
    {
        TruePositives = truePositives;
        FalseNegatives = falseNegatives;
        FalsePositives = falsePositives;
        AssASum = assASum;
        AssReSum = assReSum;
        AssPrSum = assPrSum;
        LocSum = locSum;
    }

    /// <summary>Per threshold: matches.</summary>
    public IReadOnlyList<double> TruePositives { get; }

    public IReadOnlyList<double> FalseNegatives { get; }

    public IReadOnlyList<double> FalsePositives { get; }

    /// <summary>Per threshold: AssA times TP (the sum over true positives of their association Jaccard index).</summary>
    internal IReadOnlyList<double> AssASum { get; }

    internal IReadOnlyList<double> AssReSum { get; }

    internal IReadOnlyList<double> AssPrSum { get; }

    /// <summary>Per threshold: the summed IoU of the matches.</summary>
    internal IReadOnlyList<double> LocSum { get; }

    public double Hota => Mean(HotaAt);

    public double DetA => Mean(DetAAt);

    public double AssA => Mean(AssAAt);

    public double LocA => Mean(LocAAt);

    public double DetRe => Mean(a => TruePositives[a] / Math.Max(1, TruePositives[a] + FalseNegatives[a]));

    public double DetPr => Mean(a => TruePositives[a] / Math.Max(1, TruePositives[a] + FalsePositives[a]));

    public double AssRe => Mean(a => AssReSum[a] / Math.Max(1, TruePositives[a]));

    public double AssPr => Mean(a => AssPrSum[a] / Math.Max(1, TruePositives[a]));

    /// <summary>HOTA at the lowest threshold (alpha 0.05), TrackEval's HOTA(0).</summary>
    public double Hota0 => HotaAt(0);

    public double HotaAt(int alpha) => Math.Sqrt(DetAAt(alpha) * AssAAt(alpha));

    public double DetAAt(int alpha) =>
        TruePositives[alpha] / Math.Max(1, TruePositives[alpha] + FalseNegatives[alpha] + FalsePositives[alpha]);

    public double AssAAt(int alpha) => AssASum[alpha] / Math.Max(1, TruePositives[alpha]);

    public double LocAAt(int alpha) => Math.Max(1e-10, LocSum[alpha]) / Math.Max(1e-10, TruePositives[alpha]);

    /// <summary>Several sequences as one (TrackEval's combine_sequences): counts summed, AssA and LocA weighted by TP.</summary>
    public static HotaMetrics Combine(IEnumerable<HotaMetrics> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var all = sequences.ToList();
        double[] Sum(Func<HotaMetrics, IReadOnlyList<double>> field) =>
            Enumerable.Range(0, Alphas.Count).Select(a => all.Sum(m => field(m)[a])).ToArray();
        return new HotaMetrics(Sum(m => m.TruePositives), Sum(m => m.FalseNegatives), Sum(m => m.FalsePositives),
            Sum(m => m.AssASum), Sum(m => m.AssReSum), Sum(m => m.AssPrSum), Sum(m => m.LocSum));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"HOTA {Hota:0.000} (DetA {DetA:0.000} AssA {AssA:0.000} LocA {LocA:0.000})");

    private double Mean(Func<int, double> atAlpha) => Enumerable.Range(0, Alphas.Count).Average(atAlpha);

    /// <summary>HOTA of one sequence.</summary>
    internal static HotaMetrics Evaluate(MotSequence sequence)
    {
        int alphas = Alphas.Count, nGt = sequence.GroundTruthIds, nHyp = sequence.HypothesisIds;
        var tp = new double[alphas];
        var fn = new double[alphas];
        var fp = new double[alphas];
        var assA = new double[alphas];
        var assRe = new double[alphas];
        var assPr = new double[alphas];
        var loc = new double[alphas];
        if (sequence.HypothesisBoxes == 0 || sequence.GroundTruthBoxes == 0)
        {
            // TrackEval: everything missed (or false); LocA of no match is 1.
            Array.Fill(fn, sequence.GroundTruthBoxes);
            Array.Fill(fp, sequence.HypothesisBoxes);
            return new HotaMetrics(tp, fn, fp, assA, assRe, assPr, loc);
        }

        // Global alignment: soft counts of how much each id pair overlaps, normalised per frame.
        var potential = new double[nGt, nHyp];
        var gtCount = new double[nGt];
        var hypCount = new double[nHyp];
        foreach (var f in sequence.Frames)
        {
            int rows = f.GroundTruth.Length, cols = f.Hypotheses.Length;
            var rowSum = new double[rows];
            var colSum = new double[cols];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    rowSum[i] += f.Iou[i, j];
                    colSum[j] += f.Iou[i, j];
                }
            }

            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    double denominator = rowSum[i] + colSum[j] - f.Iou[i, j];
                    if (denominator > double.Epsilon)
                    {
                        potential[f.GroundTruth[i], f.Hypotheses[j]] += f.Iou[i, j] / denominator;
                    }
                }

                gtCount[f.GroundTruth[i]]++;
            }

            foreach (int h in f.Hypotheses)
            {
                hypCount[h]++;
            }
        }

        var alignment = new double[nGt, nHyp];
        for (int g = 0; g < nGt; g++)
        {
            for (int h = 0; h < nHyp; h++)
            {
                alignment[g, h] = potential[g, h] / (gtCount[g] + hypCount[h] - potential[g, h]);
            }
        }

        // Per frame: one matching maximising alignment x IoU, then counted at every threshold.
        var matches = new double[alphas][,];
        for (int a = 0; a < alphas; a++)
        {
            matches[a] = new double[nGt, nHyp];
        }

        foreach (var f in sequence.Frames)
        {
            int rows = f.GroundTruth.Length, cols = f.Hypotheses.Length;
            if (rows == 0 || cols == 0)
            {
                for (int a = 0; a < alphas; a++)
                {
                    fn[a] += rows;
                    fp[a] += cols;
                }

                continue;
            }

            var negatedScore = new double[rows, cols];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    negatedScore[i, j] = -alignment[f.GroundTruth[i], f.Hypotheses[j]] * f.Iou[i, j];
                }
            }

            var assigned = LinearAssignment.Solve(negatedScore);
            for (int a = 0; a < alphas; a++)
            {
                int count = 0;
                for (int i = 0; i < rows; i++)
                {
                    int j = assigned[i];
                    if (j >= 0 && f.Iou[i, j] >= Alphas[a] - double.Epsilon)
                    {
                        count++;
                        loc[a] += f.Iou[i, j];
                        matches[a][f.GroundTruth[i], f.Hypotheses[j]]++;
                    }
                }

                tp[a] += count;
                fn[a] += rows - count;
                fp[a] += cols - count;
            }
        }

        for (int a = 0; a < alphas; a++)
        {
            var m = matches[a];
            for (int g = 0; g < nGt; g++)
            {
                for (int h = 0; h < nHyp; h++)
                {
                    double c = m[g, h];
                    if (c > 0)
                    {
                        assA[a] += c * c / Math.Max(1, gtCount[g] + hypCount[h] - c);
                        assRe[a] += c * c / Math.Max(1, gtCount[g]);
                        assPr[a] += c * c / Math.Max(1, hypCount[h]);
                    }
                }
            }
        }

        return new HotaMetrics(tp, fn, fp, assA, assRe, assPr, loc);
    }
}
