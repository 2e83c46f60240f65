using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>
/// What one forward pass of the DRSA head gives for a batch of B tracklets of N frames (K regions, C trunk
/// channels, h x w cells, E embedding size). The tensors belong to the caller's dispose scope; Dispose frees them
/// at once.
/// </summary>
public sealed class DrsaOutput : IDisposable
{
    internal DrsaOutput(Tensor embedding, Tensor features, Tensor masks, Tensor? temporalWeights, Tensor regularization, Tensor projection)
    {
        Embedding = embedding;
        Features = features;
        Masks = masks;
        TemporalWeights = temporalWeights;
        Regularization = regularization;
        Projection = projection;
    }

    /// <summary>[B, E], L2-normalised: the tracklet embedding.</summary>
    public Tensor Embedding { get; }

    /// <summary>[B, K * C]: the concatenated region features before the final fully connected layer.</summary>
    public Tensor Features { get; }

    /// <summary>[B, N, K, h, w]: each frame's K spatial masks; each sums to 1 over its cells.</summary>
    public Tensor Masks { get; }

    /// <summary>[B, K, N]: each region's weights over the frames (sum to 1); null for temporal max pooling.</summary>
    public Tensor? TemporalWeights { get; }

    /// <summary>Scalar: the diversity regulariser, mean over the batch of its sum over frames (0 when off).</summary>
    public Tensor Regularization { get; }

    /// <summary>[B, E]: the final layer's output before the neck and the normalisation (what a metric loss sees).</summary>
    public Tensor Projection { get; }

    /// <summary>Moves every tensor of this output to the dispose scope outside the current one (for a forward pass run in its own scope).</summary>
    public DrsaOutput MoveToOuterDisposeScope()
    {
        Embedding.MoveToOuterDisposeScope();
        Features.MoveToOuterDisposeScope();
        Masks.MoveToOuterDisposeScope();
        TemporalWeights?.MoveToOuterDisposeScope();
        Regularization.MoveToOuterDisposeScope();
        Projection.MoveToOuterDisposeScope();
        return this;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Embedding.Dispose();
        Features.Dispose();
        Masks.Dispose();
        TemporalWeights?.Dispose();
        Regularization.Dispose();
        Projection.Dispose();
    }
}
