using TorchSharp;
using static TorchSharp.torch;

namespace ReId.Trainer.Training;

/// <summary>
/// Online Instance Matching (Xiao et al. 2017): a lookup table holds one L2-normalised feature per training
/// identity; logits are scale x (table . x) and the loss is their cross-entropy with the identity. After each
/// step the rows of the identities seen move towards the new features with momentum and are renormalised.
/// The table is state, not a parameter: it is saved in checkpoints and never receives gradients.
/// </summary>
public sealed class OimLoss : IDisposable
{
    public OimLoss(int identities, int dimension, double scale = 10, double momentum = 0.5, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(identities, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Scale = scale;
        Momentum = momentum;
        Table = zeros(identities, dimension, device: device ?? CPU);
    }

    public double Scale { get; }

    public double Momentum { get; }

    /// <summary>[identities, dimension]; rows are L2-normalised once the identity has been seen.</summary>
    public Tensor Table { get; private set; }

    /// <summary>Cross-entropy of the OIM logits; <paramref name="features"/> [B, dim] L2-normalised, labels [B] int64.</summary>
    public Tensor Loss(Tensor features, Tensor labels, double labelSmoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(features);
        using var scope = NewDisposeScope();
        var logits = matmul(features, Table.t()).mul(Scale);
        return nn.functional.cross_entropy(logits, labels, label_smoothing: labelSmoothing).MoveToOuterDisposeScope();
    }

    /// <summary>Moves the table rows of the labels seen towards the (detached) features.</summary>
    public void Update(Tensor features, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var f = features.detach();
        var ids = labels.cpu().data<long>().ToArray();
        for (int i = 0; i < ids.Length; i++)
        {
            var row = Table[ids[i]];
            row.mul_(Momentum).add_(f[i], alpha: 1 - Momentum);
            row.div_(row.norm().clamp_min(1e-12));
        }
    }

    /// <summary>Replaces the table (resume from a checkpoint).</summary>
    public void Load(Tensor table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!table.shape.SequenceEqual(Table.shape))
        {
            throw new InvalidOperationException(
                $"The checkpoint's OIM table is [{string.Join(", ", table.shape)}], this run needs [{string.Join(", ", Table.shape)}].");
        }

        using var noGrad = no_grad();
        Table.copy_(table);
    }

    public void Dispose() => Table.Dispose();
}
