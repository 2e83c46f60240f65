using ReId.ReidEncoder;
using static TorchSharp.torch;

namespace ReId.Trainer.Training;

/// <summary>
/// Starts the head's final layer from a PCA whitening of the training data's average trunk features instead of a
/// fixed projection. ImageNet features of people share a large common component (all are non-negative), so the
/// fixed projection puts every embedding in a narrow cone (cosine about 0.9 between any two people), where OIM's
/// gradients are tiny and training collapses to one point; centring and whitening spreads them first.
/// </summary>
public static class HeadInitializer
{
    /// <summary>Sets fc to W (f_avg - mean) with W the top principal directions scaled by 1/sqrt(eigenvalue + eps).</summary>
    public static void Whiten(DrsaHead head, FeatureCache cache, IReadOnlyList<CachedTracklet> train, double epsilonFraction = 0.1) =>
        Whiten(new TrainableEncoder(head), cache, train, epsilonFraction);

    /// <summary>As above, the trunk features coming through the encoder's fine-tuned trunk blocks when it has any.</summary>
    public static void Whiten(TrainableEncoder encoder, FeatureCache cache, IReadOnlyList<CachedTracklet> train, double epsilonFraction = 0.1)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(train);
        var head = encoder.Head;
        var config = head.Config;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        encoder.Eval();
        var rows = train.SelectMany(t => t.Frames).Distinct().Select(f => (long)f * cache.Views).ToArray();
        var device = head.parameters().First().device;
        var parts = new List<Tensor>();
        for (int start = 0; start < rows.Length; start += 128)
        {
            var cached = cache.Maps.index_select(0, tensor(rows[start..Math.Min(rows.Length, start + 128)])).to(device).to(ScalarType.Float32);
            var maps = encoder.TrunkMaps(cached.unsqueeze(1)).squeeze(1);
            parts.Add(maps.flatten(2).mean([2]).to(ScalarType.Float64).cpu());
        }

        var averages = cat(parts, 0); // [M, C]
        var mean = averages.mean([0]);
        var centred = averages - mean;
        var covariance = matmul(centred.t(), centred) / Math.Max(1, rows.Length - 1);
        var (values, vectors) = linalg.eigh(covariance); // ascending
        int e = config.EmbeddingSize;
        long c = config.TrunkChannels;
        var top = vectors[.., TensorIndex.Slice(c - e, c)].flip(1).t(); // [E, C], largest first
        var topValues = values[TensorIndex.Slice(c - e, c)].flip(0);
        var epsilon = topValues.mean() * epsilonFraction;
        var w = top / (topValues + epsilon).sqrt().unsqueeze(1);
        var parameters = head.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var fcWeight = parameters["fc.weight"];
        var fcBias = parameters["fc.bias"];
        // the fc input is the K region features side by side; uniform masks make each the average feature
        fcWeight.copy_((w / config.K).repeat(1, config.K).to(fcWeight.dtype).to(fcWeight.device));
        fcBias.copy_((-matmul(w, mean)).to(fcBias.dtype).to(fcBias.device));
    }
}
