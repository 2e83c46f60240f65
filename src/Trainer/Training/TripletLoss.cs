using static TorchSharp.torch;

namespace ReId.Trainer.Training;

/// <summary>
/// Batch-hard triplet loss (Hermans et al. 2017): for each anchor, its farthest positive and nearest negative in
/// the batch, hinge with a margin; anchors without a positive or a negative in the batch are left out.
/// </summary>
public static class TripletLoss
{
    /// <summary>features [B, E] (L2-normalised), labels [B] int64 -> mean hinge loss (0 when no anchor qualifies).</summary>
    public static Tensor BatchHard(Tensor features, Tensor labels, double margin)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        var squared = (features.unsqueeze(1) - features.unsqueeze(0)).pow(2).sum(-1);
        var distances = squared.clamp_min(1e-12).sqrt();
        var same = labels.unsqueeze(1).eq(labels.unsqueeze(0));
        var self = eye(labels.shape[0], dtype: ScalarType.Bool, device: labels.device);
        var positive = same.logical_and(self.logical_not());
        var negative = same.logical_not();
        var hardestPositive = distances.where(positive, zeros_like(distances)).amax([1]);
        var hardestNegative = distances.where(negative, full_like(distances, 1e4)).amin([1]);
        var valid = positive.any(1).logical_and(negative.any(1));
        var hinge = (hardestPositive - hardestNegative + margin).clamp_min(0);
        var count = valid.sum().to(hinge.dtype).clamp_min(1);
        return (hinge.where(valid, zeros_like(hinge)).sum() / count).MoveToOuterDisposeScope();
    }
}
