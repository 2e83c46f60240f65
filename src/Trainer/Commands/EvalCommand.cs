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
        var command = new Command("eval", "Evaluate a model: CMC rank-1/5/10/20 and mAP, queries against the other cameras' tracklets.");
        foreach (var o in new Option[] { device, evalFrames, model })
        {
            command.Options.Add(o);
        }

        source.AddTo(command);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CommonOptions.Guard(() =>
        {
            var dev = CommonOptions.ParseDevice(parse.GetValue(device)!);
            using var reid = CommonOptions.LoadModel(parse.GetValue(model)!);
            using var experiment = Experiment.Prepare(source.Read(parse), new EncoderTrunk(reid, dev), forTraining: false, Console.Error, cancellationToken);
            var metrics = experiment.Evaluate(reid.Model.Head, parse.GetValue(evalFrames) ?? reid.Description.Architecture.Frames, dev);
            Console.WriteLine($"{experiment.Description}; model {reid.ModelVersion}");
            CommonOptions.PrintMetrics(Console.Out, [(reid.ModelVersion, metrics)]);
            Console.WriteLine(CommonOptions.Json(metrics, ("model", reid.ModelVersion)));
            return 0;
        })));
        return command;
    }
}
