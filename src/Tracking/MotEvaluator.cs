using System.Globalization;

namespace ReId.Tracking;

/// <summary>
/// CLEAR MOT, identity and HOTA metrics of a tracker's output against ground truth (one sequence, or several
/// combined by <see cref="Combine"/>).
/// </summary>
public sealed record MotMetrics(
    int GroundTruth, int Hypotheses, int Matches, int FalsePositives, int Misses, int IdSwitches,
    int IdTruePositives, int GroundTruthIds, int HypothesisIds,
    int Fragmentations, int MostlyTracked, int PartiallyTracked, int MostlyLost, double MatchedIouSum, HotaMetrics Hota)
{
    /// <summary>1 - (misses + false positives + id switches) / ground-truth boxes.</summary>
    public double Mota => GroundTruth == 0 ? 0 : 1.0 - ((double)Misses + FalsePositives + IdSwitches) / GroundTruth;

    /// <summary>Mean IoU of the CLEAR matches (TrackEval's MOTP; the devkit prints 1 - this).</summary>
    public double Motp => Matches == 0 ? 0 : MatchedIouSum / Matches;

    public double Precision => Hypotheses == 0 ? 0 : (double)Matches / Hypotheses;

    public double Recall => GroundTruth == 0 ? 0 : (double)Matches / GroundTruth;

    /// <summary>Identity F1: 2 IDTP / (ground-truth boxes + hypothesis boxes), ids matched once for the whole sequence.</summary>
    public double Idf1 => GroundTruth + Hypotheses == 0 ? 0 : 2.0 * IdTruePositives / (GroundTruth + Hypotheses);

    public double Idp => Hypotheses == 0 ? 0 : (double)IdTruePositives / Hypotheses;

    public double Idr => GroundTruth == 0 ? 0 : (double)IdTruePositives / GroundTruth;

    /// <summary>Several sequences as one row: counts summed (ids per sequence), HOTA combined as TrackEval does.</summary>
    public static MotMetrics Combine(IEnumerable<MotMetrics> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var all = sequences.ToList();
        if (all.Count == 0)
        {
            throw new ArgumentException("No sequence to combine.", nameof(sequences));
        }

        return new MotMetrics(
            all.Sum(m => m.GroundTruth), all.Sum(m => m.Hypotheses), all.Sum(m => m.Matches), all.Sum(m => m.FalsePositives),
            all.Sum(m => m.Misses), all.Sum(m => m.IdSwitches), all.Sum(m => m.IdTruePositives), all.Sum(m => m.GroundTruthIds),
            all.Sum(m => m.HypothesisIds), all.Sum(m => m.Fragmentations), all.Sum(m => m.MostlyTracked),
            all.Sum(m => m.PartiallyTracked), all.Sum(m => m.MostlyLost), all.Sum(m => m.MatchedIouSum),
            HotaMetrics.Combine(all.Select(m => m.Hota)));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Hota} MOTA {Mota:0.000} MOTP {Motp:0.000} IDF1 {Idf1:0.000} (IDP {Idp:0.000} IDR {Idr:0.000}) " +
        $"precision {Precision:0.000} recall {Recall:0.000} IDsw {IdSwitches} Frag {Fragmentations} " +
        $"MT {MostlyTracked} PT {PartiallyTracked} ML {MostlyLost} FP {FalsePositives} FN {Misses} " +
        $"GT {GroundTruth} ({GroundTruthIds} ids) hyp {Hypotheses} ({HypothesisIds} ids)");
}

/// <summary>Scores tracker output against ground truth, both as MOT records, at an IoU threshold.</summary>
public static class MotEvaluator
{
    /// <summary>
    /// CLEAR MOT as the MOTChallenge devkit counts it: per frame, ground-truth boxes are matched to hypothesis boxes
    /// with IoU at least <paramref name="iouThreshold"/>, keeping each ground truth's last pair where it still
    /// overlaps enough, the rest by minimum-cost assignment; a ground-truth id matched to a different hypothesis id
    /// than at its last match counts an id switch; a ground truth matched again after being missed (within its own
    /// frames) counts a fragmentation; one matched in at least 80 % of its frames is mostly tracked, under 20 %
    /// mostly lost. IDF1 matches ids once for the whole sequence by minimum-cost bipartite matching. HOTA is
    /// TrackEval's (<see cref="HotaMetrics"/>), over its own thresholds. Ground-truth records with confidence 0
    /// are ignored.
    /// </summary>
    public static MotMetrics Evaluate(IEnumerable<MotRecord> groundTruth, IEnumerable<MotRecord> hypotheses, double iouThreshold = 0.5)
    {
        var sequence = MotSequence.Build(groundTruth, hypotheses);
        int nGt = sequence.GroundTruthIds, nHyp = sequence.HypothesisIds;
        var overlapCounts = new int[nGt, nHyp];
        var lastMatch = Enumerable.Repeat(-1, nGt).ToArray();
        var present = new int[nGt];
        var matchedFrames = new int[nGt];
        var missedSinceMatch = new bool[nGt];
        int matches = 0, switches = 0, fragmentations = 0;
        double iouSum = 0;
        double limit = 1 - iouThreshold;

        foreach (var f in sequence.Frames)
        {
            int rows = f.GroundTruth.Length, cols = f.Hypotheses.Length;
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    if (1 - f.Iou[i, j] <= limit)
                    {
                        overlapCounts[f.GroundTruth[i], f.Hypotheses[j]]++;
                    }
                }
            }

            var pairOf = Enumerable.Repeat(-1, rows).ToArray();

            // Keep last correspondences that still hold, then assign the rest.
            var hypDone = new bool[cols];
            for (int i = 0; i < rows; i++)
            {
                int previous = lastMatch[f.GroundTruth[i]];
                int j = previous < 0 ? -1 : Array.IndexOf(f.Hypotheses, previous);
                if (j >= 0 && !hypDone[j] && 1 - f.Iou[i, j] <= limit)
                {
                    hypDone[j] = true;
                    pairOf[i] = j;
                }
            }

            var restGt = Enumerable.Range(0, rows).Where(i => pairOf[i] < 0).ToList();
            var restHyp = Enumerable.Range(0, cols).Where(j => !hypDone[j]).ToList();
            var sub = new double[restGt.Count, restHyp.Count];
            for (int a = 0; a < restGt.Count; a++)
            {
                for (int b = 0; b < restHyp.Count; b++)
                {
                    double c = 1 - f.Iou[restGt[a], restHyp[b]];
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

                int gt = f.GroundTruth[restGt[a]];
                if (lastMatch[gt] >= 0 && lastMatch[gt] != f.Hypotheses[restHyp[b]])
                {
                    switches++;
                }

                pairOf[restGt[a]] = restHyp[b];
            }

            for (int i = 0; i < rows; i++)
            {
                int gt = f.GroundTruth[i];
                present[gt]++;
                if (pairOf[i] < 0)
                {
                    missedSinceMatch[gt] |= matchedFrames[gt] > 0;
                    continue;
                }

                if (missedSinceMatch[gt])
                {
                    fragmentations++;
                    missedSinceMatch[gt] = false;
                }

                lastMatch[gt] = f.Hypotheses[pairOf[i]];
                matchedFrames[gt]++;
                matches++;
                iouSum += f.Iou[i, pairOf[i]];
            }
        }

        int mostlyTracked = 0, mostlyLost = 0;
        for (int g = 0; g < nGt; g++)
        {
            double ratio = (double)matchedFrames[g] / present[g];
            mostlyTracked += ratio >= 0.8 ? 1 : 0;
            mostlyLost += ratio < 0.2 ? 1 : 0;
        }

        int gtTotal = sequence.GroundTruthBoxes, hypTotal = sequence.HypothesisBoxes;
        return new MotMetrics(gtTotal, hypTotal, matches, hypTotal - matches, gtTotal - matches, switches,
            IdTruePositives(overlapCounts), nGt, nHyp, fragmentations, mostlyTracked, nGt - mostlyTracked - mostlyLost, mostlyLost,
            iouSum, HotaMetrics.Evaluate(sequence));
    }

    /// <summary>Identity matching: the most frames where matched ids overlap (min cost of the negated counts).</summary>
    private static int IdTruePositives(int[,] overlapCounts)
    {
        int nGt = overlapCounts.GetLength(0), nHyp = overlapCounts.GetLength(1);
        if (nGt == 0 || nHyp == 0)
        {
            return 0;
        }

        var negated = new double[nGt, nHyp];
        for (int i = 0; i < nGt; i++)
        {
            for (int j = 0; j < nHyp; j++)
            {
                negated[i, j] = -overlapCounts[i, j];
            }
        }

        var pairs = LinearAssignment.Solve(negated);
        int idtp = 0;
        for (int i = 0; i < nGt; i++)
        {
            if (pairs[i] >= 0)
            {
                idtp += overlapCounts[i, pairs[i]];
            }
        }

        return idtp;
    }
}

/// <summary>Recall of ground-truth boxes of one height range: found / all.</summary>
public readonly record struct HeightRecall(float MinHeight, float MaxHeight, int Found, int Total)
{
    public double Recall => Total == 0 ? double.NaN : (double)Found / Total;
}

/// <summary>How recall depends on how tall people are in the frame (small people are what detectors miss).</summary>
public static class RecallByHeight
{
    /// <summary>The default height ranges, frame pixels: under 50, 50-100, 100-200, 200 and over.</summary>
    public static readonly float[] DefaultEdges = [50, 100, 200];

    /// <summary>
    /// Per height range (split at <paramref name="edges"/>), the share of ground-truth boxes that a box of
    /// <paramref name="found"/> in the same frame covers at IoU &gt;= <paramref name="iouThreshold"/>, each found box
    /// used once (greedy, best IoU first): detector or tracker recall, whatever the ids.
    /// </summary>
    public static IReadOnlyList<HeightRecall> Measure(
        IEnumerable<MotRecord> groundTruth, IEnumerable<MotRecord> found, IReadOnlyList<float>? edges = null, double iouThreshold = 0.5)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(found);
        var bounds = edges ?? DefaultEdges;
        var lows = new[] { 0f }.Concat(bounds).ToArray();
        var highs = bounds.Append(float.PositiveInfinity).ToArray();
        var hits = new int[lows.Length];
        var totals = new int[lows.Length];
        var byFrame = found.GroupBy(r => r.Frame).ToDictionary(g => g.Key, g => g.Select(r => r.Box).ToList());
        foreach (var frame in groundTruth.Where(r => r.Confidence != 0).GroupBy(r => r.Frame)) // 0: marked ignore
        {
            var truth = frame.ToList();
            var boxes = byFrame.GetValueOrDefault(frame.Key) ?? [];
            var pairs = new List<(double Iou, int Truth, int Box)>();
            for (int t = 0; t < truth.Count; t++)
            {
                for (int b = 0; b < boxes.Count; b++)
                {
                    double iou = truth[t].Box.Iou(boxes[b]);
                    if (iou >= iouThreshold)
                    {
                        pairs.Add((iou, t, b));
                    }
                }
            }

            var truthUsed = new bool[truth.Count];
            var boxUsed = new bool[boxes.Count];
            foreach (var (_, t, b) in pairs.OrderByDescending(p => p.Iou))
            {
                if (!truthUsed[t] && !boxUsed[b])
                {
                    truthUsed[t] = boxUsed[b] = true;
                }
            }

            for (int t = 0; t < truth.Count; t++)
            {
                int bin = Array.FindLastIndex(lows, low => truth[t].Box.Height >= low);
                totals[bin]++;
                hits[bin] += truthUsed[t] ? 1 : 0;
            }
        }

        return [.. lows.Select((low, i) => new HeightRecall(low, highs[i], hits[i], totals[i]))];
    }
}
