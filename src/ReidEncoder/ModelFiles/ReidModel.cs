namespace ReId.ReidEncoder;

/// <summary>A DRSA model with its description: what a model file holds.</summary>
public sealed class ReidModel : IDisposable
{
    /// <summary>Pairs a model with its description (the architectures must be the same).</summary>
    public ReidModel(DrsaModel model, ReidModelDescription description)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(description);
        if (model.Config != description.Architecture)
        {
            throw new ArgumentException("the description's architecture differs from the model's.", nameof(description));
        }
        Model = model;
        Description = description;
    }

    /// <summary>The network.</summary>
    public DrsaModel Model { get; }

    /// <summary>Its description.</summary>
    public ReidModelDescription Description { get; }

    /// <summary>The model's version string.</summary>
    public string ModelVersion => Description.ModelVersion;

    /// <summary>
    /// The model used until a trained one exists: the ImageNet ResNet-18 trunk, a head in the paper's Baseline
    /// state (uniform masks and temporal weights) and a fixed projection to 128 dimensions.
    /// </summary>
    public static ReidModel CreateDefault(DrsaConfig? config = null)
    {
        config ??= new DrsaConfig();
        var model = new DrsaModel(config, TrunkWeights.ImageNet);
        var description = new ReidModelDescription
        {
            ModelVersion = $"drsa-{config.Trunk.ToString().ToLowerInvariant()}-k{config.K}-baseline-imagenet-v1",
            Architecture = config,
            Pixels = PixelNormalization.ImageNetResNet18,
            TrunkWeights = ImageNetResNet18.WeightsId,
            Training = new TrainingRecord
            {
                Data = "none: ImageNet trunk, Baseline head (uniform masks and temporal weights), fixed orthonormal projection",
            },
        };
        return new ReidModel(model, description);
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
