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
        var models = new Option<string?>("--models") { Description = "Folder to write each variant's model file and mask picture to." };
        var indBlocks = new Option<int>("--ind-blocks")
        {
            Description = "Trunk blocks the +Ind row fine-tunes (after a third of the epochs with the trunk frozen) when --fine-tune is 0; with --fine-tune N every row fine-tunes N blocks.",
            DefaultValueFactory = _ => 2,
        };
        var command = new Command("ablation", "Train and evaluate the DRSA ablation variants on one split and print one table.");
        foreach (var o in new Option[] { device, evalFrames, variants, models, indBlocks })
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
            var recipeOptions = recipe.Read(parse, checkpoint: null);
            var dataOptions = recipe.ForTraining(parse, source.Read(parse));
            // one feature cache serves every row: it holds the maps the fine-tuned blocks read, and rows that train
            // the head alone run those blocks frozen (stock weights, evaluation mode)
            bool fineTuneAll = recipeOptions.FineTuneBlocks > 0;
            int cut = fineTuneAll ? recipeOptions.FineTuneBlocks : names.Any(n => n.Equals(Variants.Ind, StringComparison.OrdinalIgnoreCase)) ? parse.GetValue(indBlocks) : 0;
            TrainingOptions OptionsFor(string name) => name.Equals(Variants.Ind, StringComparison.OrdinalIgnoreCase)
                ? recipeOptions with { FineTuneBlocks = cut, TrunkFrozenEpochs = Math.Max(recipeOptions.TrunkFrozenEpochs, recipeOptions.Epochs / 3) }
                : recipeOptions with { FineTuneBlocks = cut, TrunkFrozenEpochs = fineTuneAll ? recipeOptions.TrunkFrozenEpochs : recipeOptions.Epochs };

            var rows = new List<(string Name, ReidMetrics Metrics, double Seconds, MaskStatistics? Masks)>();
            Experiment? experiment = null;
            try
            {
                foreach (var (name, config) in configs)
                {
                    var options = OptionsFor(name);
                    TorchSharp.torch.random.manual_seed(options.Seed);
                    using var model = ReidModel.CreateDefault(config);
                    experiment ??= Experiment.Prepare(dataOptions, new EncoderTrunk(model, dev, TrainRun.TailBlocks(model, options)), forTraining: true, Console.Out, cancellationToken);
                    Console.WriteLine($"== {name}");
                    var clock = Stopwatch.StartNew();
                    var result = TrainRun.Train(experiment, model, options, parse.GetValue(evalFrames), dev, Console.Out, cancellationToken);
                    if (rows.Count == 0)
                    {
                        rows.Add(("untrained default", result.Untrained, 0, null));
                    }

                    rows.Add((name, result.Trained, clock.Elapsed.TotalSeconds, config.SpatialAttention ? result.Masks : null));
                    if (parse.GetValue(models) is { } folder)
                    {
                        Directory.CreateDirectory(folder);
                        string file = Path.Combine(folder, FileName(name));
                        ReidModelFile.Save(result.Model, file);
                        Console.WriteLine($"{name}: model written to {file}");
                        if (config.SpatialAttention)
                        {
                            string picture = Path.ChangeExtension(file, null) + "-masks.png";
                            MaskPictures.Write(picture, experiment, result.Encoder, dev);
                            Console.WriteLine($"{name}: masks drawn in {picture}");
                        }
                    }
                }
            }
            finally
            {
                experiment?.Dispose();
            }

            Console.WriteLine();
            Console.WriteLine("| variant | rank-1 | rank-5 | rank-10 | rank-20 | mAP | Q per frame | Q' per frame | mask overlap | train time |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var (name, m, seconds, masks) in rows)
            {
                string maskColumns = masks is null ? "- | - | -" : FormattableString.Invariant($"{masks.Hellinger:F3} | {masks.RawMasks:F3} | {masks.Overlap:F3}");
                Console.WriteLine(FormattableString.Invariant(
                    $"| {name} | {m.Rank1:F1} | {m.Rank5:F1} | {m.Rank10:F1} | {m.Rank20:F1} | {m.MeanAp:F1} | {maskColumns} | {seconds:F0} s |"));
            }

            Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new Dictionary<string, object>
            {
                ["variant"] = r.Name,
                ["rank1"] = Math.Round(r.Metrics.Rank1, 2),
                ["rank5"] = Math.Round(r.Metrics.Rank5, 2),
                ["mAP"] = Math.Round(r.Metrics.MeanAp, 2),
                ["hellingerQ"] = r.Masks is null ? null! : Math.Round(r.Masks.Hellinger, 4),
                ["rawQ"] = r.Masks is null ? null! : Math.Round(r.Masks.RawMasks, 4),
                ["maskOverlap"] = r.Masks is null || double.IsNaN(r.Masks.Overlap) ? null! : Math.Round(r.Masks.Overlap, 4),
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
