namespace ReId.Tracking;

/// <summary>One frame of a scored sequence: the ground-truth and hypothesis id indices present, and their IoUs.</summary>
internal sealed record MotFrame(int Frame, int[] GroundTruth, int[] Hypotheses, double[,] Iou);

/// <summary>
/// Ground truth and tracker output grouped by frame, ids numbered from 0 in order of first appearance, with the
/// IoU of every ground-truth box against every hypothesis box of its frame (in double, as TrackEval computes it).
/// Ground-truth records with confidence 0 are left out (the MOTChallenge "ignore" flag).
/// </summary>
internal sealed class MotSequence
{
    private MotSequence(IReadOnlyList<MotFrame> frames, int groundTruthIds, int hypothesisIds, int groundTruthBoxes, int hypothesisBoxes)
    {
        Frames = frames;
        GroundTruthIds = groundTruthIds;
        HypothesisIds = hypothesisIds;
        GroundTruthBoxes = groundTruthBoxes;
        HypothesisBoxes = hypothesisBoxes;
    }

    /// <summary>Every frame that has a ground-truth or a hypothesis box, in order.</summary>
    public IReadOnlyList<MotFrame> Frames { get; }

    public int GroundTruthIds { get; }

    public int HypothesisIds { get; }

    public int GroundTruthBoxes { get; }

    public int HypothesisBoxes { get; }

    public static MotSequence Build(IEnumerable<MotRecord> groundTruth, IEnumerable<MotRecord> hypotheses)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(hypotheses);
        var gt = groundTruth.Where(r => r.Confidence != 0).ToList();
        var hyp = hypotheses.ToList();
        var gtIndex = new Dictionary<long, int>();
        var hypIndex = new Dictionary<long, int>();
        foreach (var r in gt)
        {
            gtIndex.TryAdd(r.Id, gtIndex.Count);
        }

        foreach (var r in hyp)
        {
            hypIndex.TryAdd(r.Id, hypIndex.Count);
        }

        var gtByFrame = gt.GroupBy(r => r.Frame).ToDictionary(g => g.Key, g => g.ToList());
        var hypByFrame = hyp.GroupBy(r => r.Frame).ToDictionary(g => g.Key, g => g.ToList());
        var frames = new List<MotFrame>();
        foreach (int frame in gtByFrame.Keys.Union(hypByFrame.Keys).Order())
        {
            var gts = gtByFrame.GetValueOrDefault(frame) ?? [];
            var hyps = hypByFrame.GetValueOrDefault(frame) ?? [];
            var iou = new double[gts.Count, hyps.Count];
            for (int i = 0; i < gts.Count; i++)
            {
                for (int j = 0; j < hyps.Count; j++)
                {
                    iou[i, j] = Iou(gts[i].Box, hyps[j].Box);
                }
            }

            frames.Add(new MotFrame(frame, gts.Select(r => gtIndex[r.Id]).ToArray(), hyps.Select(r => hypIndex[r.Id]).ToArray(), iou));
        }

        return new MotSequence(frames, gtIndex.Count, hypIndex.Count, gt.Count, hyp.Count);
    }

    /// <summary>Intersection over union of two left-top-width-height boxes, 0 when either has no area.</summary>
    internal static double Iou(Box a, Box b)
    {
        double ax1 = (double)a.X + a.Width, ay1 = (double)a.Y + a.Height, bx1 = (double)b.X + b.Width, by1 = (double)b.Y + b.Height;
        double w = Math.Min(ax1, bx1) - Math.Max(a.X, b.X);
        double h = Math.Min(ay1, by1) - Math.Max(a.Y, b.Y);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        double inter = w * h;
        double union = ((double)a.Width * a.Height) + ((double)b.Width * b.Height) - inter;
        return union > double.Epsilon ? inter / union : 0;
    }
}
