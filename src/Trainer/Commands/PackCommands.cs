using System.CommandLine;
using System.Text.Json;
using ReId.ReidEncoder;
using ReId.Trainer.Training;
using TorchSharp;

namespace ReId.Trainer.Commands;

/// <summary>
/// <c>reid-train pack</c> writes cached trunk features of some training identities to one file;
/// <c>reid-train curve</c> trains a head on such a file and prints its loss curve and speed. Together they compare
/// devices (CPU against CUDA) on the same data, without images or trunk on the second machine.
/// </summary>
internal static class PackCommands
{
    public static Command Pack()
    {
        var source = new DataSourceOptions();
        var identities = new Option<int>("--identities") { Description = "Training identities to pack (the first ones).", DefaultValueFactory = _ => 100 };
        var output = new Option<string>("--output") { Description = "Pack file to write.", Required = true };
        var command = new Command("pack", "Write the cached trunk features of some training identities to one file (for `curve`).");
        source.AddTo(command);
        command.Options.Add(identities);
        command.Options.Add(output);

        command.SetAction((parse, cancellationToken) => Task.FromResult(CommonOptions.Guard(() =>
        {
            using var model = ReidModel.CreateDefault();
            using var experiment = Experiment.Prepare(source.Read(parse), new EncoderTrunk(model, torch.CPU), forTraining: true, Console.Error, cancellationToken);
            var keep = experiment.Train.Select(t => t.Identity).Distinct().Order(StringComparer.Ordinal)
                .Take(parse.GetValue(identities)).ToHashSet(StringComparer.Ordinal);
            var tracklets = experiment.Train.Where(t => keep.Contains(t.Identity)).ToList();
            string path = parse.GetValue(output)!;
            experiment.Cache.WritePack(path, tracklets);
            Console.WriteLine($"packed {tracklets.Count} tracklets of {keep.Count} identities to {path} ({new FileInfo(path).Length / 1024 / 1024} MiB)");
            return 0;
        })));
        return command;
    }

    public static Command Curve()
    {
        var pack = new Option<string>("--pack") { Description = "Pack file written by `pack`.", Required = true };
        var device = CommonOptions.Device();
        var recipe = new RecipeOptions();
        var variant = new Option<string>("--variant") { Description = "Architecture.", DefaultValueFactory = _ => "+TemAtn" };
        var command = new Command("curve", "Train a head on a feature pack and print its loss curve and tracklets/s (device comparison).");
        foreach (var o in new Option[] { pack, device, variant })
        {
            command.Options.Add(o);
        }

        recipe.AddTo(command);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CommonOptions.Guard(() =>
        {
            var dev = CommonOptions.ParseDevice(parse.GetValue(device)!);
            var (cache, tracklets) = FeatureCache.ReadPack(parse.GetValue(pack)!);
            using (cache)
            {
                var options = recipe.Read(parse, checkpoint: null);
                torch.random.manual_seed(options.Seed);
                using var head = new DrsaHead(Variants.Config(parse.GetValue(variant)!, recipe.BaseConfig(parse)));
                if (options.WhitenInit)
                {
                    HeadInitializer.Whiten(head, cache, tracklets);
                }

                Console.WriteLine($"device {dev.type}: {tracklets.Count} tracklets, {tracklets.Select(t => t.Identity).Distinct().Count()} identities");
                var history = HeadTrainer.Train(head, cache, tracklets, options, dev,
                    new SyncProgress<EpochReport>(r => Console.WriteLine(TrainRun.Format(r))), cancellationToken);
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["device"] = dev.type.ToString().ToLowerInvariant(),
                    ["trackletsPerSecond"] = Math.Round(history.Skip(1).DefaultIfEmpty(history[0]).Average(h => h.TrackletsPerSecond), 1),
                    ["oim"] = history.Select(h => Math.Round(h.OimLoss, 4)).ToArray(),
                    ["reg"] = history.Select(h => Math.Round(h.Regularizer, 4)).ToArray(),
                    ["seconds"] = Math.Round(history[^1].Elapsed.TotalSeconds, 1),
                }, CommonOptions.JsonOptions));
                return 0;
            }
        })));
        return command;
    }
}
