using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ReId.ReidEncoder;
using ReId.Trainer.Evaluation;
using ReId.Trainer.Training;

namespace ReId.Trainer.Commands;

/// <summary><c>reid-train ablation</c>: the paper's variants trained and evaluated on one split, one table.</summary>
internal static class AblationCommand
{
    public static Command Create()
    {
        var source = new DataSourceOptions();
        var device = CommonOptions.Device();
        var evalFrames = CommonOptions.EvalFrames();
        var recipe = new RecipeOptions();
        var variants = new Option<string>("--variants")
        {
            Description = "Comma-separated variants to train.",
            DefaultValueFactory = _ => string.Join(",", Variants.Names),
        };
        var models = new Option<string?>("--models") { Description = "Folder to write each variant's model file to." };
        var command = new Command("ablation", "Train and evaluate the DRSA ablation variants on one split and print one table.");
        foreach (var o in new Option[] { device, evalFrames, variants, models })
        {
            command.Options.Add(o);
        }

        source.AddTo(command);
        recipe.AddTo(command);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CommonOptions.Guard(() =>
        {
            var dev = CommonOptions.ParseDevice(parse.GetValue(device)!);
            var names = parse.GetValue(variants)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var baseConfig = recipe.BaseConfig(parse);
            var configs = names.Select(n => (Name: n, Config: Variants.Config(n, baseConfig))).ToList();
            var options = recipe.Read(parse, checkpoint: null);
            var dataOptions = recipe.ForTraining(parse, source.Read(parse));

            var rows = new List<(string Name, ReidMetrics Metrics, double Seconds)>();
            Experiment? experiment = null;
            try
            {
                foreach (var (name, config) in configs)
                {
                    TorchSharp.torch.random.manual_seed(options.Seed);
                    using var model = ReidModel.CreateDefault(config);
                    experiment ??= Experiment.Prepare(dataOptions, new EncoderTrunk(model, dev, TrainRun.TailBlocks(model, options)), forTraining: true, Console.Out, cancellationToken);
                    Console.WriteLine($"== {name}");
                    var clock = Stopwatch.StartNew();
                    var result = TrainRun.Train(experiment, model, options, parse.GetValue(evalFrames), dev, Console.Out, cancellationToken);
                    if (rows.Count == 0)
                    {
                        rows.Add(("untrained default", result.Untrained, 0));
                    }

                    rows.Add((name, result.Trained, clock.Elapsed.TotalSeconds));
                    if (parse.GetValue(models) is { } folder)
                    {
                        Directory.CreateDirectory(folder);
                        string file = Path.Combine(folder, FileName(name));
                        ReidModelFile.Save(result.Model, file);
                        Console.WriteLine($"{name}: model written to {file}");
                    }
                }
            }
            finally
            {
                experiment?.Dispose();
            }

            Console.WriteLine();
            Console.WriteLine("| variant | rank-1 | rank-5 | rank-10 | rank-20 | mAP | train time |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var (name, m, seconds) in rows)
            {
                Console.WriteLine(FormattableString.Invariant(
                    $"| {name} | {m.Rank1:F1} | {m.Rank5:F1} | {m.Rank10:F1} | {m.Rank20:F1} | {m.MeanAp:F1} | {seconds:F0} s |"));
            }

            Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new Dictionary<string, object>
            {
                ["variant"] = r.Name,
                ["rank1"] = Math.Round(r.Metrics.Rank1, 2),
                ["rank5"] = Math.Round(r.Metrics.Rank5, 2),
                ["mAP"] = Math.Round(r.Metrics.MeanAp, 2),
                ["seconds"] = Math.Round(r.Seconds, 1),
            }), CommonOptions.JsonOptions));
            return 0;
        })));
        return command;
    }

    /// <summary>A file name for a variant: "+TemAtn" -> "temattn.reid", "SpaAtn+Q'" -> "spaatn-q-prime.reid".</summary>
    internal static string FileName(string variant) =>
        variant.ToLowerInvariant().Replace("'", "-prime", StringComparison.Ordinal).Replace('+', '-').Trim('-') + ".reid";
}
