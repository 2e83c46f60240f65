using System.Globalization;

namespace ReId.Tracking;

/// <summary>CLEAR MOT and identity metrics of a tracker's output against ground truth.</summary>
public sealed record MotMetrics(
    int GroundTruth, int Hypotheses, int Matches, int FalsePositives, int Misses, int IdSwitches,
    int IdTruePositives, int GroundTruthIds, int HypothesisIds)
{
    /// <summary>1 - (misses + false positives + id switches) / ground-truth boxes.</summary>
    public double Mota => GroundTruth == 0 ? 0 : 1.0 - ((double)Misses + FalsePositives + IdSwitches) / GroundTruth;

    public double Precision => Hypotheses == 0 ? 0 : (double)Matches / Hypotheses;

    public double Recall => GroundTruth == 0 ? 0 : (double)Matches / GroundTruth;

    /// <summary>Identity F1: 2 IDTP / (ground-truth boxes + hypothesis boxes), ids matched once for the whole sequence.</summary>
    public double Idf1 => GroundTruth + Hypotheses == 0 ? 0 : 2.0 * IdTruePositives / (GroundTruth + Hypotheses);

    public double Idp => Hypotheses == 0 ? 0 : (double)IdTruePositives / Hypotheses;

    public double Idr => GroundTruth == 0 ? 0 : (double)IdTruePositives / GroundTruth;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"MOTA {Mota:0.000} IDF1 {Idf1:0.000} (IDP {Idp:0.000} IDR {Idr:0.000}) precision {Precision:0.000} recall {Recall:0.000} " +
        $"IDsw {IdSwitches} FP {FalsePositives} FN {Misses} GT {GroundTruth} ({GroundTruthIds} ids) hyp {Hypotheses} ({HypothesisIds} ids)");
}

/// <summary>Scores tracker output against ground truth, both as MOT records, at an IoU threshold.</summary>
public static class MotEvaluator
{
    /// <summary>
    /// Per frame, ground-truth boxes are matched to hypothesis boxes with IoU at least <paramref name="iouThreshold"/>,
    /// keeping last frame's pairs where they still overlap enough, the rest by minimum-cost assignment; a ground-truth
    /// id matched to a different hypothesis id than at its last match counts an id switch. IDF1 matches ids once
    /// for the whole sequence by minimum-cost bipartite matching. Ground-truth records with confidence 0 are ignored.
    /// </summary>
    public static MotMetrics Evaluate(IEnumerable<MotRecord> groundTruth, IEnumerable<MotRecord> hypotheses, double iouThreshold = 0.5)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(hypotheses);
        var gtByFrame = groundTruth.Where(r => r.Confidence != 0).GroupBy(r => r.Frame).ToDictionary(g => g.Key, g => g.ToList());
        var hypByFrame = hypotheses.GroupBy(r => r.Frame).ToDictionary(g => g.Key, g => g.ToList());
        var gtIds = gtByFrame.Values.SelectMany(v => v).Select(r => r.Id).Distinct().ToList();
        var hypIds = hypByFrame.Values.SelectMany(v => v).Select(r => r.Id).Distinct().ToList();
        var gtIndex = gtIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        var hypIndex = hypIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        var overlapCounts = new int[gtIds.Count, hypIds.Count];
        var lastMatch = new Dictionary<long, long>();
        int gtTotal = 0, hypTotal = 0, matches = 0, switches = 0;
        double limit = 1 - iouThreshold;

        foreach (int frame in gtByFrame.Keys.Union(hypByFrame.Keys).Order())
        {
            var gts = gtByFrame.GetValueOrDefault(frame) ?? [];
            var hyps = hypByFrame.GetValueOrDefault(frame) ?? [];
            gtTotal += gts.Count;
            hypTotal += hyps.Count;
            var cost = new double[gts.Count, hyps.Count];
            for (int i = 0; i < gts.Count; i++)
            {
                for (int j = 0; j < hyps.Count; j++)
                {
                    double iou = gts[i].Box.Iou(hyps[j].Box);
                    cost[i, j] = 1 - iou;
                    if (iou >= iouThreshold)
                    {
                        overlapCounts[gtIndex[gts[i].Id], hypIndex[hyps[j].Id]]++;
                    }
                }
            }

            // Keep last frame's correspondences that still hold, then assign the rest.
            var gtDone = new bool[gts.Count];
            var hypDone = new bool[hyps.Count];
            for (int i = 0; i < gts.Count; i++)
            {
                if (!lastMatch.TryGetValue(gts[i].Id, out long previous))
                {
                    continue;
                }

                int j = hyps.FindIndex(h => h.Id == previous);
                if (j >= 0 && !hypDone[j] && cost[i, j] <= limit)
                {
                    gtDone[i] = hypDone[j] = true;
                    matches++;
                }
            }

            var restGt = Enumerable.Range(0, gts.Count).Where(i => !gtDone[i]).ToList();
            var restHyp = Enumerable.Range(0, hyps.Count).Where(j => !hypDone[j]).ToList();
            var sub = new double[restGt.Count, restHyp.Count];
            for (int a = 0; a < restGt.Count; a++)
            {
                for (int b = 0; b < restHyp.Count; b++)
                {
                    double c = cost[restGt[a], restHyp[b]];
                    sub[a, b] = c <= limit ? c : 1e6;
                }
            }

            var assigned = LinearAssignment.Solve(sub);
            for (int a = 0; a < restGt.Count; a++)
            {
                int b = assigned[a];
                if (b < 0 || sub[a, b] > limit)
                {
                    continue;
                }

                var gt = gts[restGt[a]];
                long hypId = hyps[restHyp[b]].Id;
                if (lastMatch.TryGetValue(gt.Id, out long previous) && previous != hypId)
                {
                    switches++;
                }

                lastMatch[gt.Id] = hypId;
                matches++;
            }
        }

        // Identity matching: maximise frames where matched ids overlap (min cost of the negated counts).
        int idtp = 0;
        if (gtIds.Count > 0 && hypIds.Count > 0)
        {
            var negated = new double[gtIds.Count, hypIds.Count];
            for (int i = 0; i < gtIds.Count; i++)
            {
                for (int j = 0; j < hypIds.Count; j++)
                {
                    negated[i, j] = -overlapCounts[i, j];
                }
            }

            var pairs = LinearAssignment.Solve(negated);
            for (int i = 0; i < gtIds.Count; i++)
            {
                if (pairs[i] >= 0)
                {
                    idtp += overlapCounts[i, pairs[i]];
                }
            }
        }

        return new MotMetrics(gtTotal, hypTotal, matches, hypTotal - matches, gtTotal - matches, switches,
            idtp, gtIds.Count, hypIds.Count);
    }
}
