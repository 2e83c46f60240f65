namespace ReId.ReidEncoder;

/// <summary>What a model was trained on and how well it did.</summary>
public sealed record TrainingRecord
{
    /// <summary>Training data, e.g. "MARS train (625 ids)" or "none: ImageNet trunk + Baseline head".</summary>
    public string Data { get; init; } = "";

    /// <summary>Evaluation figures by name (e.g. "cuhk03.rank1", "mars.mAP").</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>When the model was made.</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>Free text: recipe, stages, anything a reader needs.</summary>
    public string Notes { get; init; } = "";
}

/// <summary>The description carried by every model file, checked when the file is loaded.</summary>
public sealed record ReidModelDescription
{
    /// <summary>Identifies the format; anything else is a foreign file.</summary>
    public const string FormatName = "reid-drsa-model";

    /// <summary>The format revision this code writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Always <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The format revision.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The model's version, stored with every embedding it makes (embeddings of different versions do not compare).</summary>
    public string ModelVersion { get; init; } = "";

    /// <summary>Architecture and hyper-parameters, input size included.</summary>
    public DrsaConfig Architecture { get; init; } = new();

    /// <summary>How crops are turned into trunk input.</summary>
    public PixelNormalization Pixels { get; init; } = PixelNormalization.ImageNetResNet18;

    /// <summary>
    /// Where the trunk weights live: <see cref="ImageNetResNet18.WeightsId"/> when they are the stock ImageNet
    /// weights (then the file does not repeat them), "in-file" otherwise.
    /// </summary>
    public string TrunkWeights { get; init; } = InFile;

    /// <summary>
    /// With stock trunk weights: how many of the trunk's last residual blocks were fine-tuned and are stored in the
    /// file over the stock ones (0: the trunk is the stock one throughout).
    /// </summary>
    public int FineTunedBlocks { get; init; }

    /// <summary>How the weights are stored: "float32" or "float16" (half the size; loaded back as float32).</summary>
    public string WeightPrecision { get; init; } = Float32;

    /// <summary>The value of <see cref="WeightPrecision"/> for full-precision weights.</summary>
    public const string Float32 = "float32";

    /// <summary>The value of <see cref="WeightPrecision"/> for half-precision weights.</summary>
    public const string Float16 = "float16";

    /// <summary>What the model was trained on, with its metrics.</summary>
    public TrainingRecord Training { get; init; } = new();

    /// <summary>The value of <see cref="TrunkWeights"/> for weights stored in the file.</summary>
    public const string InFile = "in-file";

    /// <summary>True when the trunk weights are the stock ImageNet ones and are not in the file.</summary>
    public bool StockTrunk => TrunkWeights == ImageNetResNet18.WeightsId;
}
