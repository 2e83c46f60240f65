using System.CommandLine;
using ReId.Trainer.Training;

namespace ReId.Trainer.Commands;

/// <summary><c>reid-train eval</c>: CMC and mAP of a model on a dataset, tracklet-level, cross-camera.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var layout = CommonOptions.Layout();
        var validation = CommonOptions.ValidationLast();
        var device = CommonOptions.Device();
        var cache = CommonOptions.Cache();
        var evalFrames = CommonOptions.EvalFrames();
        var model = new Option<string>("--model")
        {
            Description = "A model file, 'default' (the trained model shipped with the program) or 'untrained' (ImageNet trunk, Baseline head).",
            DefaultValueFactory = _ => "default",
        };
        var command = new Command("eval", "Evaluate a model: CMC rank-1/5/10/20 and mAP, queries against the other cameras' tracklets.");
        foreach (var o in new Option[] { data, layout, validation, device, cache, evalFrames, model })
        {
            command.Options.Add(o);
        }

        command.SetAction((parse, cancellationToken) => Task.FromResult(CommonOptions.Guard(() =>
        {
            var dev = CommonOptions.ParseDevice(parse.GetValue(device)!);
            using var reid = CommonOptions.LoadModel(parse.GetValue(model)!);
            var dataOptions = new DataOptions
            {
                Data = parse.GetValue(data)!,
                Layout = parse.GetValue(layout)!,
                ValidationLast = parse.GetValue(validation),
                CacheDirectory = CommonOptions.CacheFolder(parse.GetValue(cache)),
            };
            using var experiment = Experiment.Prepare(dataOptions, new EncoderTrunk(reid, dev), forTraining: false, Console.Error, cancellationToken);
            var metrics = experiment.Evaluate(reid.Model.Head, parse.GetValue(evalFrames) ?? reid.Description.Architecture.Frames, dev);
            Console.WriteLine($"{experiment.Description}; model {reid.ModelVersion}");
            CommonOptions.PrintMetrics(Console.Out, [(reid.ModelVersion, metrics)]);
            Console.WriteLine(CommonOptions.Json(metrics, ("model", reid.ModelVersion)));
            return 0;
        })));
        return command;
    }
}
