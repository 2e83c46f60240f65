using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>The diversity penalties over each frame's K spatial masks.</summary>
public static class Regularizers
{
    /// <summary>
    /// masks [B, N, K, L] (each row sums to 1) -> scalar: mean over the B tracklets of the sum over the N frames of
    /// ||M M^T - I||_F^2, with M the square roots of the masks (Hellinger) or the raw masks; 0 for None.
    /// </summary>
    public static Tensor Compute(Tensor masks, DiversityRegularizer kind)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.dim() != 4) throw new ArgumentException($"masks must be [B, N, K, L], got [{string.Join(", ", masks.shape)}].", nameof(masks));
        if (kind == DiversityRegularizer.None) return zeros(1, dtype: ScalarType.Float32, device: masks.device).squeeze();
        using var scope = NewDisposeScope();
        var m = masks.to_type(ScalarType.Float32);
        // sqrt has an infinite slope at 0: clamp so a mask cell that reaches 0 exactly does not give NaN gradients.
        if (kind == DiversityRegularizer.Hellinger) m = m.clamp_min(1e-12).sqrt();
        long k = m.shape[2];
        var gram = matmul(m, m.transpose(2, 3));
        var diff = gram - eye(k, dtype: ScalarType.Float32, device: m.device);
        var perFrame = diff.pow(2).sum([2, 3]);
        return perFrame.sum(1).mean().MoveToOuterDisposeScope();
    }
}
