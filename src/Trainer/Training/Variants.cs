using ReId.ReidEncoder;

namespace ReId.Trainer.Training;

/// <summary>The ablation rows of the DRSA paper as architecture switches, in the paper's order.</summary>
public static class Variants
{
    private static readonly (string Name, Func<DrsaConfig, DrsaConfig> Make)[] All =
    [
        ("Baseline", c => c with { K = 1, SpatialAttention = false, Temporal = TemporalPooling.Average, Regularizer = DiversityRegularizer.None }),
        ("SpaAtn", c => c with { SpatialAttention = true, Temporal = TemporalPooling.Average, Regularizer = DiversityRegularizer.None }),
        ("SpaAtn+Q'", c => c with { SpatialAttention = true, Temporal = TemporalPooling.Average, Regularizer = DiversityRegularizer.RawMasks }),
        ("SpaAtn+Q", c => c with { SpatialAttention = true, Temporal = TemporalPooling.Average, Regularizer = DiversityRegularizer.Hellinger }),
        ("+MaxPool", c => c with { SpatialAttention = true, Temporal = TemporalPooling.Max, Regularizer = DiversityRegularizer.Hellinger }),
        ("+TemAtn", c => c with { SpatialAttention = true, Temporal = TemporalPooling.Attention, Regularizer = DiversityRegularizer.Hellinger }),
        // +Ind is +TemAtn with the trunk fine-tuned as well: an architecture like +TemAtn, trained differently
        (Ind, c => c with { SpatialAttention = true, Temporal = TemporalPooling.Attention, Regularizer = DiversityRegularizer.Hellinger }),
    ];

    /// <summary>The row whose trunk is fine-tuned too (the paper's "+Ind").</summary>
    public const string Ind = "+Ind";

    public static IReadOnlyList<string> Names { get; } = All.Select(v => v.Name).ToArray();

    /// <summary>The variant's architecture built on <paramref name="baseConfig"/>; a wrong name lists the valid ones.</summary>
    public static DrsaConfig Config(string name, DrsaConfig baseConfig)
    {
        var v = All.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));
        return v.Make is null
            ? throw new ArgumentException($"Unknown variant '{name}'. Valid variants: {string.Join(", ", Names)}.")
            : v.Make(baseConfig);
    }
}
