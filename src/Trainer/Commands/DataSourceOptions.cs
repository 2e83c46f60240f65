using System.CommandLine;
using ReId.Trainer.Data;

namespace ReId.Trainer.Commands;

/// <summary>The dataset options every command that reads a dataset takes (--data, --layout, --validation-last, --cache).</summary>
internal sealed class DataSourceOptions
{
    public Option<string> Data { get; } = new("--data") { Description = "Dataset folder.", Required = true };

    public Option<string> Layout { get; } = new("--layout")
    {
        Description = $"Dataset layout: {string.Join(", ", DatasetLayouts.Names)}.",
        Required = true,
    };

    public Option<int> ValidationLast { get; } = new("--validation-last")
    {
        Description = "Keep the last N identities (in id order) apart for validation; 0 uses the dataset's own train/test parts.",
        DefaultValueFactory = _ => 0,
    };

    public Option<string?> Cache { get; } = new("--cache")
    {
        Description = "Folder for trunk feature caches (reused by later runs on the same frames); default ~/.cache/reid-train. 'none' keeps them in memory only.",
    };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Data, Layout, ValidationLast, Cache })
        {
            command.Options.Add(o);
        }
    }

    /// <summary>The dataset to prepare; commands that train add views, seed and labels with <c>with</c>.</summary>
    public DataOptions Read(ParseResult parse) => new()
    {
        Data = parse.GetValue(Data)!,
        Layout = parse.GetValue(Layout)!,
        ValidationLast = parse.GetValue(ValidationLast),
        CacheDirectory = CommonOptions.CacheFolder(parse.GetValue(Cache)),
    };
}
