using System.CommandLine;
using ReId.Trainer.Training;

namespace ReId.Trainer.Commands;

/// <summary><c>reid-train eval</c>: CMC and mAP of a model on a dataset, tracklet-level, cross-camera.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var source = new DataSourceOptions();
        var device = CommonOptions.Device();
        var evalFrames = CommonOptions.EvalFrames();
        var model = new Option<string>("--model")
        {
            Description = "A model file, 'default' (the trained model shipped with the program) or 'untrained' (ImageNet trunk, Baseline head).",
            DefaultValueFactory = _ => "default",
        };
        var flip = new Option<bool>("--flip-average")
        {
            Description = "Also embed the mirrored crops and average the two embeddings, as the service's Encoder:FlipAverage does (twice the trunk work); prints both figures.",
        };
        var command = new Command("eval", "Evaluate a model: CMC rank-1/5/10/20 and mAP, queries against the other cameras' tracklets.");
        foreach (var o in new Option[] { device, evalFrames, model, flip })
        {
            command.Options.Add(o);
        }

        source.AddTo(command);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CommonOptions.Guard(() =>
        {
            var dev = CommonOptions.ParseDevice(parse.GetValue(device)!);
            using var reid = CommonOptions.LoadModel(parse.GetValue(model)!);
            var data = source.Read(parse);
            using var experiment = Experiment.Prepare(data, new EncoderTrunk(reid, dev), forTraining: false, Console.Error, cancellationToken);
            int frames = parse.GetValue(evalFrames) ?? reid.Description.Architecture.Frames;
            var encoder = new TrainableEncoder(reid.Model.Head);
            var plain = HeadTrainer.Embed(encoder, experiment.Cache, experiment.Evaluation.Tracklets, frames, dev);
            var metrics = experiment.Score(plain);
            Console.WriteLine($"{experiment.Description}; model {reid.ModelVersion}");
            if (!parse.GetValue(flip))
            {
                CommonOptions.PrintMetrics(Console.Out, [(reid.ModelVersion, metrics)]);
                Console.WriteLine(CommonOptions.Json(metrics, ("model", reid.ModelVersion)));
                return 0;
            }

            using var mirroredExperiment = Experiment.Prepare(data, new EncoderTrunk(reid, dev, mirrored: true), forTraining: false, Console.Error, cancellationToken);
            var mirrored = HeadTrainer.Embed(encoder, mirroredExperiment.Cache, mirroredExperiment.Evaluation.Tracklets, frames, dev);
            var flipped = experiment.Score([.. plain.Zip(mirrored, Embedding.Average)]);
            CommonOptions.PrintMetrics(Console.Out, [(reid.ModelVersion, metrics), (reid.ModelVersion + " flip-averaged", flipped)]);
            Console.WriteLine(CommonOptions.Json(flipped, ("model", reid.ModelVersion), ("flipAverage", true),
                ("plainRank1", Math.Round(metrics.Rank1, 2)), ("plainMAP", Math.Round(metrics.MeanAp, 2))));
            return 0;
        })));
        return command;
    }
}
