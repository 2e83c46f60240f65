using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>
/// The DRSA head on trunk feature maps [B, N, C, h, w]: K spatial attention models, spatially gated features
/// (optionally enhanced), per-region temporal pooling, concatenation, a fully connected layer to E, L2
/// normalisation. Usable alone on cached trunk features.
/// </summary>
public sealed class DrsaHead : nn.Module<Tensor, DrsaOutput>
{
    // Field names are state-dict keys: renaming one breaks saved model files.
    private readonly Conv2d spatial_hidden;
    private readonly Conv2d spatial_score;
    private readonly Linear? enhance;
    private readonly Parameter temporal_weight;
    private readonly Parameter temporal_bias;
    private readonly Linear fc;
    private readonly BatchNorm1d? neck;
    private readonly DrsaConfig config;

    /// <summary>Builds the head in its Baseline state (see <see cref="ResetToBaseline"/>).</summary>
    public DrsaHead(DrsaConfig config) : base("DrsaHead")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        this.config = config;
        int c = config.TrunkChannels;
        // The K attention models as one 1x1 conv to K*D channels and one grouped 1x1 conv to K scores:
        // group k sees only model k's hidden channels, so this is exactly K independent models.
        spatial_hidden = nn.Conv2d(c, (long)config.K * config.D, 1);
        spatial_score = nn.Conv2d((long)config.K * config.D, config.K, 1, groups: config.K);
        if (config.Enhancement) enhance = nn.Linear(c, c);
        temporal_weight = nn.Parameter(zeros(config.K, c));
        temporal_bias = nn.Parameter(zeros(config.K));
        fc = nn.Linear((long)config.K * c, config.EmbeddingSize);
        if (config.Neck)
        {
            neck = nn.BatchNorm1d(config.EmbeddingSize);
            neck.bias!.requires_grad_(false); // as in BNNeck: a shift would only move every embedding alike
        }
        RegisterComponents();
        ResetToBaseline();
    }

    /// <summary>The architecture this head was built for.</summary>
    public DrsaConfig Config => config;

    /// <summary>
    /// Puts the head in the paper's Baseline state: uniform masks (zero attention scores), uniform temporal
    /// weights, identity enhancement, and a fixed projection of the average trunk feature to E dimensions
    /// (seeded orthonormal rows, split evenly over the K regions). The attention models' hidden layers keep
    /// distinct random weights so that training can tell the K models apart.
    /// </summary>
    public void ResetToBaseline(int projectionSeed = 20180618)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        spatial_score.weight!.zero_();
        spatial_score.bias!.zero_();
        temporal_weight.zero_();
        temporal_bias.zero_();
        if (enhance is not null)
        {
            enhance.weight.copy_(eye(config.TrunkChannels));
            enhance.bias!.zero_();
        }
        int c = config.TrunkChannels;
        var projection = tensor(FixedProjection.Orthonormal(config.EmbeddingSize, c, projectionSeed), config.EmbeddingSize, c);
        fc.weight.copy_(projection.div(config.K).repeat(1, config.K).to(fc.weight.device));
        fc.bias!.zero_();
    }

    /// <summary>featureMaps [B, N, C, h, w] -> embedding, features, masks, temporal weights, regulariser.</summary>
    public override DrsaOutput forward(Tensor featureMaps)
    {
        ArgumentNullException.ThrowIfNull(featureMaps);
        if (featureMaps.dim() != 5 || featureMaps.shape[2] != config.TrunkChannels)
        {
            throw new ArgumentException(
                $"feature maps must be [B, N, {config.TrunkChannels}, h, w], got [{string.Join(", ", featureMaps.shape)}].",
                nameof(featureMaps));
        }
        using var scope = NewDisposeScope();
        long b = featureMaps.shape[0], n = featureMaps.shape[1], c = featureMaps.shape[2];
        long h = featureMaps.shape[3], w = featureMaps.shape[4], l = h * w;
        int k = config.K;
        var f = featureMaps.reshape(b * n, c, h, w);

        Tensor masks;
        if (config.SpatialAttention)
        {
            var scores = spatial_score.forward(nn.functional.relu(spatial_hidden.forward(f)));
            masks = scores.reshape(b * n, k, l).softmax(-1);
        }
        else
        {
            masks = full(new long[] { b * n, k, l }, 1.0 / l, dtype: f.dtype, device: f.device);
        }

        // x_{n,k} = sum_l s_{n,k,l} f_{n,l}: [BN, K, L] x [BN, L, C] -> [BN, K, C]
        var gated = bmm(masks, f.reshape(b * n, c, l).transpose(1, 2));
        if (enhance is not null) gated = nn.functional.relu(enhance.forward(gated));
        var x = gated.reshape(b, n, k, c);

        Tensor regions;
        Tensor? temporal = null;
        switch (config.Temporal)
        {
            case TemporalPooling.Attention:
                var e = (x * temporal_weight).sum(-1) + temporal_bias; // [B, N, K]
                var t = e.softmax(1);
                regions = (x * t.unsqueeze(-1)).sum(1);
                temporal = t.permute(0, 2, 1).contiguous();
                break;
            case TemporalPooling.Average:
                regions = x.mean([1]);
                temporal = full(new long[] { b, k, n }, 1.0 / n, dtype: x.dtype, device: x.device);
                break;
            default:
                regions = x.amax([1]);
                break;
        }

        var features = regions.reshape(b, (long)k * c);
        var projection = fc.forward(features);
        var embedding = nn.functional.normalize(neck is null ? projection : neck.forward(projection), p: 2, dim: 1);
        var masks4 = masks.reshape(b, n, k, l);
        var reg = Regularizers.Compute(masks4, config.Regularizer);
        return new DrsaOutput(
            embedding.MoveToOuterDisposeScope(),
            features.MoveToOuterDisposeScope(),
            masks4.reshape(b, n, k, h, w).MoveToOuterDisposeScope(),
            temporal?.MoveToOuterDisposeScope(),
            reg.MoveToOuterDisposeScope(),
            projection.MoveToOuterDisposeScope());
    }
}

/// <summary>A fixed projection computed in managed code so that it is the same on every machine and device.</summary>
internal static class FixedProjection
{
    /// <summary>rows x cols, rows orthonormal (rows &lt;= cols): seeded Gaussian rows, Gram-Schmidt in double.</summary>
    public static float[] Orthonormal(int rows, int cols, int seed)
    {
        if (rows > cols) throw new ArgumentException($"cannot make {rows} orthonormal rows of length {cols}.");
        var random = new Random(seed);
        var m = new double[rows][];
        for (int i = 0; i < rows; i++)
        {
            var r = new double[cols];
            for (int j = 0; j < cols; j++)
            {
                // Box-Muller from the seeded generator (whose sequence for a given seed is fixed by .NET).
                double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
                r[j] = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            }
            for (int pass = 0; pass < 2; pass++)
            {
                for (int p = 0; p < i; p++)
                {
                    double dot = 0;
                    for (int j = 0; j < cols; j++) dot += r[j] * m[p][j];
                    for (int j = 0; j < cols; j++) r[j] -= dot * m[p][j];
                }
            }
            double norm = Math.Sqrt(r.Sum(v => v * v));
            for (int j = 0; j < cols; j++) r[j] /= norm;
            m[i] = r;
        }
        var result = new float[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++) result[(i * cols) + j] = (float)m[i][j];
        }
        return result;
    }
}
