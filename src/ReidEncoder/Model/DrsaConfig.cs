using System.Text.Json.Serialization;

namespace ReId.ReidEncoder;

/// <summary>How each region's features are pooled over a tracklet's frames.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TemporalPooling>))]
public enum TemporalPooling
{
    /// <summary>Per-region temporal attention: softmax over the frames of a learned linear score.</summary>
    Attention,

    /// <summary>Plain average over the frames.</summary>
    Average,

    /// <summary>Element-wise maximum over the frames.</summary>
    Max,
}

/// <summary>The diversity regulariser computed over each frame's K spatial masks.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiversityRegularizer>))]
public enum DiversityRegularizer
{
    /// <summary>No regulariser (the value returned is 0).</summary>
    None,

    /// <summary>Q = sum over frames of ||S S^T - I||_F^2, rows of S the square roots of the masks (Hellinger).</summary>
    Hellinger,

    /// <summary>Q' = sum over frames of ||A A^T - I||_F^2 on the raw masks (Lin et al. 2017).</summary>
    RawMasks,
}

/// <summary>
/// The architecture of a DRSA encoder: trunk, K spatial attention models with hidden width D, optional
/// enhancement layer, temporal pooling, embedding size. The ablation variants of the paper are switches here.
/// </summary>
public sealed record DrsaConfig
{
    /// <summary>The CNN trunk.</summary>
    public TrunkKind Trunk { get; init; } = TrunkKind.ResNet18;

    /// <summary>Number of spatial attention models (body regions); the paper finds 6 best.</summary>
    public int K { get; init; } = 6;

    /// <summary>Hidden channels of each spatial attention model's first 1x1 convolution.</summary>
    public int D { get; init; } = 256;

    /// <summary>Frames per tracklet at inference (restricted sampling picks this many).</summary>
    public int Frames { get; init; } = 8;

    /// <summary>When false the masks are uniform over the cells (plain average), as in the Baseline.</summary>
    public bool SpatialAttention { get; init; } = true;

    /// <summary>A learned linear layer + ReLU on each spatially gated feature.</summary>
    public bool Enhancement { get; init; }

    /// <summary>Temporal pooling of each region over the frames.</summary>
    public TemporalPooling Temporal { get; init; } = TemporalPooling.Attention;

    /// <summary>The diversity regulariser returned with every forward pass.</summary>
    public DiversityRegularizer Regularizer { get; init; } = DiversityRegularizer.Hellinger;

    /// <summary>
    /// BNNeck (Luo et al. 2019): a batch normalisation between the final layer and the L2 normalisation. The
    /// embedding, and what the losses see, is taken after it.
    /// </summary>
    public bool Neck { get; init; }

    /// <summary>The trunk's last-stage stride: 2 as published, 1 for maps twice as fine each way (more cells for the masks).</summary>
    public int LastStride { get; init; } = 2;

    /// <summary>Size of the L2-normalised embedding.</summary>
    public int EmbeddingSize { get; init; } = 128;

    /// <summary>Crop height fed to the trunk.</summary>
    public int InputHeight { get; init; } = 256;

    /// <summary>Crop width fed to the trunk.</summary>
    public int InputWidth { get; init; } = 128;

    /// <summary>Channels of the trunk's feature map.</summary>
    [JsonIgnore]
    public int TrunkChannels => Trunk == TrunkKind.ResNet50 ? 2048 : 512;

    /// <summary>Cells of the trunk's feature map (L = 32 for 256 x 128).</summary>
    [JsonIgnore]
    public int Cells => InputHeight / OutputStride * (InputWidth / OutputStride);

    /// <summary>The trunk's down-sampling factor (32, or 16 with <see cref="LastStride"/> 1).</summary>
    [JsonIgnore]
    public int OutputStride => ResNetTrunk.Stride / 2 * LastStride;

    /// <summary>Throws with the name and value of the first field that is out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Trunk)) throw new ArgumentException($"Trunk: unknown trunk '{Trunk}'.");
        if (K is < 1 or > 64) throw new ArgumentException($"K: {K} spatial attention models is out of range 1..64.");
        if (D is < 1 or > 8192) throw new ArgumentException($"D: hidden width {D} is out of range 1..8192.");
        if (Frames is < 1 or > 256) throw new ArgumentException($"Frames: {Frames} is out of range 1..256.");
        if (!Enum.IsDefined(Temporal)) throw new ArgumentException($"Temporal: unknown pooling '{Temporal}'.");
        if (!Enum.IsDefined(Regularizer)) throw new ArgumentException($"Regularizer: unknown regulariser '{Regularizer}'.");
        if (LastStride is not (1 or 2)) throw new ArgumentException($"LastStride: {LastStride} must be 1 or 2.");
        if (EmbeddingSize is < 1 or > 8192) throw new ArgumentException($"EmbeddingSize: {EmbeddingSize} is out of range 1..8192.");
        if (InputHeight < ResNetTrunk.Stride || InputHeight % ResNetTrunk.Stride != 0)
            throw new ArgumentException($"InputHeight: {InputHeight} must be a positive multiple of {ResNetTrunk.Stride}.");
        if (InputWidth < ResNetTrunk.Stride || InputWidth % ResNetTrunk.Stride != 0)
            throw new ArgumentException($"InputWidth: {InputWidth} must be a positive multiple of {ResNetTrunk.Stride}.");
    }
}
