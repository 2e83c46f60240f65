using TorchSharp;
using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>Where a model's trunk weights come from.</summary>
public enum TrunkWeights
{
    /// <summary>Seeded random initialisation (benchmarks, tests, trunks without published weights).</summary>
    Random,

    /// <summary>The stock ImageNet ResNet-18 of Microsoft.ML.DnnImageFeaturizer.ResNet18, read from its ONNX file.</summary>
    ImageNet,
}

/// <summary>
/// The DRSA encoder: a ResNet trunk and the DRSA head. Images [B, N, 3, H, W] (preprocessed by
/// <see cref="CropPreprocessor"/>) in; embedding, masks, temporal weights and regulariser out.
/// </summary>
public sealed class DrsaModel : nn.Module<Tensor, DrsaOutput>
{
    // Field names are state-dict key prefixes ("trunk.", "head."): keep them.
    private readonly ResNetTrunk trunk;
    private readonly DrsaHead head;

    /// <summary>Builds the trunk (random or ImageNet weights) and a Baseline head.</summary>
    public DrsaModel(DrsaConfig config, TrunkWeights trunkWeights = TrunkWeights.ImageNet) : base("DrsaModel")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (trunkWeights == TrunkWeights.ImageNet && config.Trunk != TrunkKind.ResNet18)
        {
            throw new ArgumentException(
                $"Trunk: ImageNet weights are available for {TrunkKind.ResNet18} only, not {config.Trunk}; use random trunk weights or a trained model file.");
        }
        Config = config;
        TrunkSource = trunkWeights;
        trunk = new ResNetTrunk(config.Trunk, config.LastStride);
        head = new DrsaHead(config);
        RegisterComponents();
        if (trunkWeights == TrunkWeights.ImageNet)
        {
            OnnxResNet18Importer.Load(ImageNetResNet18.ModelPath(), trunk);
        }
    }

    /// <summary>The architecture.</summary>
    public DrsaConfig Config { get; }

    /// <summary>Where the trunk's weights came from when the model was built.</summary>
    public TrunkWeights TrunkSource { get; }

    /// <summary>The trunk alone: images [M, 3, H, W] -> feature maps [M, C, H/32, W/32].</summary>
    public ResNetTrunk Trunk => trunk;

    /// <summary>The head alone: feature maps [B, N, C, h, w] -> output (for cached trunk features).</summary>
    public DrsaHead Head => head;

    /// <summary>images [B, N, 3, H, W] -> output.</summary>
    public override DrsaOutput forward(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 5 || images.shape[2] != 3)
        {
            throw new ArgumentException($"images must be [B, N, 3, H, W], got [{string.Join(", ", images.shape)}].", nameof(images));
        }
        using var scope = NewDisposeScope();
        long b = images.shape[0], n = images.shape[1];
        var maps = trunk.forward(images.reshape(b * n, 3, images.shape[3], images.shape[4]));
        var output = head.forward(maps.reshape(b, n, maps.shape[1], maps.shape[2], maps.shape[3]));
        return output.MoveToOuterDisposeScope();
    }
}
