using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ReId.ReidEncoder;
using ReId.Trainer.Evaluation;
using ReId.Trainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ReId.Trainer.Commands;

/// <summary>Training options as command-line options, shared by train, ablation and curve.</summary>
internal sealed class RecipeOptions
{
    public Option<int> Seed { get; } = CommonOptions.Seed();

    public Option<int> Epochs { get; } = new("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 6 };

    public Option<int> Batch { get; } = new("--batch") { Description = "Tracklets per step.", DefaultValueFactory = _ => 32 };

    public Option<int> Frames { get; } = new("--frames") { Description = "Frames per tracklet while training (restricted random sampling).", DefaultValueFactory = _ => 4 };

    public Option<double> LearningRate { get; } = new("--lr") { Description = "Initial learning rate (SGD), divided by K for the head's layers.", DefaultValueFactory = _ => 0.001 };

    public Option<double> AttentionLearningRate { get; } = new("--attention-lr-factor") { Description = "The attention models' learning rate relative to --lr.", DefaultValueFactory = _ => 1 };

    public Option<string> Steps { get; } = new("--lr-steps") { Description = "Comma-separated epochs at which the learning rate is divided by 10; default: at 2/3 of the epochs." };

    public Option<double> RegularizerWeight { get; } = new("--reg-weight") { Description = "Weight of the diversity regulariser.", DefaultValueFactory = _ => 0.001 };

    public Option<int?> Stage1 { get; } = new("--stage1-epochs") { Description = "Epochs with uniform temporal weights before temporal attention trains; default: a third of the epochs." };

    public Option<int> Views { get; } = new("--views") { Description = "Cached versions of each frame: the plain crop, then augmented ones (flip, small crop, erasing); each costs one trunk pass per frame. Training also flips and erases cells of the cached maps.", DefaultValueFactory = _ => 1 };

    public Option<double> OimScale { get; } = new("--oim-scale") { Description = "OIM logit scale (inverse temperature).", DefaultValueFactory = _ => 30 };

    public Option<double> OimMomentum { get; } = new("--oim-momentum") { Description = "OIM lookup table momentum.", DefaultValueFactory = _ => 0.5 };

    public Option<bool> FixedInit { get; } = new("--fixed-init") { Description = "Start from the encoder's fixed projection instead of whitening the training features." };

    public Option<string> OimTable { get; } = new("--oim-table") { Description = "Start of the OIM table: means (each identity's mean embedding) or zero.", DefaultValueFactory = _ => "means" };

    public Option<int> K { get; } = new("-k") { Description = "Spatial attention models (regions).", DefaultValueFactory = _ => 6 };

    public Option<int> D { get; } = new("-d") { Description = "Hidden channels of each spatial attention model.", DefaultValueFactory = _ => 64 };

    public Option<string> FineTune { get; } = new("--fine-tune")
    {
        Description = "Trunk blocks fine-tuned with the head (+Ind), counted from the trunk's end: 0 (head only), 1..9, or 'all' (the whole trunk on cached images: for a GPU). The blocks before them run once, into the feature cache.",
        DefaultValueFactory = _ => "0",
    };

    public Option<int> TrunkFrozenEpochs { get; } = new("--trunk-frozen-epochs") { Description = "Epochs at the start during which the fine-tuned trunk blocks stay frozen.", DefaultValueFactory = _ => 0 };

    public Option<double> TrunkLearningRate { get; } = new("--trunk-lr-factor") { Description = "The fine-tuned trunk blocks' learning rate relative to --lr.", DefaultValueFactory = _ => 1 };

    public Option<string> Optimizer { get; } = new("--optimizer") { Description = "sgd (momentum 0.9) or adam.", DefaultValueFactory = _ => "sgd" };

    public Option<int> Warmup { get; } = new("--warmup-epochs") { Description = "Epochs of linear learning-rate warm-up (from a tenth).", DefaultValueFactory = _ => 0 };

    public Option<double> LabelSmoothing { get; } = new("--label-smoothing") { Description = "Label smoothing of the OIM cross-entropy (0.1 in Luo et al. 2019).", DefaultValueFactory = _ => 0 };

    public Option<double> TripletWeight { get; } = new("--triplet-weight") { Description = "Weight of the batch-hard triplet loss next to OIM (0: off); batches then hold P identities x 2 tracklets.", DefaultValueFactory = _ => 0 };

    public Option<double> TripletMargin { get; } = new("--triplet-margin") { Description = "Triplet margin on L2-normalised embeddings.", DefaultValueFactory = _ => 0.3 };

    public Option<bool> Neck { get; } = new("--bnneck") { Description = "BNNeck: batch normalisation between the final layer and the L2 normalisation." };

    public Option<int> ValidateEvery { get; } = new("--validate-every") { Description = "Score the validation data after every N epochs (0: at the end only).", DefaultValueFactory = _ => 0 };

    public Option<double> WeightDecay { get; } = new("--weight-decay") { Description = "Weight decay.", DefaultValueFactory = _ => 5e-4 };

    public Option<int> LastStride { get; } = new("--last-stride") { Description = "The trunk's last-stage stride: 2 (8 x 4 maps) or 1 (16 x 8 maps, about 4x the last stage's work).", DefaultValueFactory = _ => 2 };

    public DrsaConfig BaseConfig(ParseResult parse) => new() { K = parse.GetValue(K), D = parse.GetValue(D), Neck = parse.GetValue(Neck), LastStride = parse.GetValue(LastStride) };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Seed, Epochs, Batch, Frames, LearningRate, Steps, RegularizerWeight, Stage1, Views, OimScale, OimMomentum, FixedInit, AttentionLearningRate, OimTable, K, D,
                     FineTune, TrunkFrozenEpochs, TrunkLearningRate, Optimizer, Warmup, LabelSmoothing, TripletWeight, TripletMargin, Neck, WeightDecay, ValidateEvery, LastStride })
        {
            command.Options.Add(o);
        }
    }

    /// <summary>The dataset as training prepares it: this recipe's cached views and seed.</summary>
    public DataOptions ForTraining(ParseResult parse, DataOptions data) => data with { Views = parse.GetValue(Views), Seed = parse.GetValue(Seed) };

    public TrainingOptions Read(ParseResult parse, string? checkpoint)
    {
        int epochs = parse.GetValue(Epochs);
        var steps = parse.GetValue(Steps) is { Length: > 0 } s
            ? s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(x => int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out int e) ? e
                    : throw new ArgumentException($"--lr-steps: '{x}' is not an epoch number.")).ToArray()
            : [Math.Max(1, epochs * 2 / 3)];
        return new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = parse.GetValue(Batch),
            Frames = parse.GetValue(Frames),
            LearningRate = parse.GetValue(LearningRate),
            LearningRateSteps = steps,
            RegularizerWeight = parse.GetValue(RegularizerWeight),
            Stage1Epochs = parse.GetValue(Stage1) ?? epochs / 3,
            OimScale = parse.GetValue(OimScale),
            OimMomentum = parse.GetValue(OimMomentum),
            WhitenInit = !parse.GetValue(FixedInit),
            AttentionLearningRateFactor = parse.GetValue(AttentionLearningRate),
            OimTableFromMeans = parse.GetValue(OimTable) switch
            {
                "means" => true,
                "zero" => false,
                var other => throw new ArgumentException($"--oim-table: '{other}' is not one of means, zero."),
            },
            Seed = parse.GetValue(Seed),
            CheckpointPath = checkpoint,
            FineTuneBlocks = parse.GetValue(FineTune) switch
            {
                "all" => int.MaxValue,
                var n when int.TryParse(n, NumberStyles.Integer, CultureInfo.InvariantCulture, out int blocks) && blocks >= 0 => blocks,
                var other => throw new ArgumentException($"--fine-tune: '{other}' is not a number of blocks or 'all'."),
            },
            TrunkFrozenEpochs = parse.GetValue(TrunkFrozenEpochs),
            TrunkLearningRateFactor = parse.GetValue(TrunkLearningRate),
            Optimizer = parse.GetValue(Optimizer) switch
            {
                "sgd" => OptimizerKind.Sgd,
                "adam" => OptimizerKind.Adam,
                var other => throw new ArgumentException($"--optimizer: '{other}' is not one of sgd, adam."),
            },
            WarmupEpochs = parse.GetValue(Warmup),
            LabelSmoothing = parse.GetValue(LabelSmoothing),
            TripletWeight = parse.GetValue(TripletWeight),
            TripletMargin = parse.GetValue(TripletMargin),
            WeightDecay = parse.GetValue(WeightDecay),
            ValidateEvery = parse.GetValue(ValidateEvery),
        };
    }
}

/// <summary><c>reid-train train</c>: trains a DRSA head on a dataset or a site's tracklets and writes a model file.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var source = new DataSourceOptions();
        var device = CommonOptions.Device();
        var evalFrames = CommonOptions.EvalFrames();
        var recipe = new RecipeOptions();
        var variant = new Option<string>("--variant")
        {
            Description = $"Architecture: {string.Join(", ", Variants.Names)}.",
            DefaultValueFactory = _ => "+TemAtn",
        };
        var unlabeled = new Option<bool>("--unlabeled")
        {
            Description = "Ignore the identities: each training tracklet is its own pseudo-identity (site retraining without labels).",
        };
        var output = new Option<string>("--output") { Description = "Model file to write.", DefaultValueFactory = _ => "drsa-trained.reid" };
        var trainOnValidation = new Option<bool>("--train-on-validation")
        {
            Description = "Train on every identity, the --validation-last ones too (the final model, once the recipe is fixed on the split); its figures are then on seen identities.",
        };
        var init = new Option<string?>("--init")
        {
            Description = "Start from a trained model ('default' or a model file) instead of the ImageNet trunk and a new head: its architecture is kept (--variant, -k, -d, --bnneck are ignored) and the final layer is not whitened again.",
        };
        var notes = new Option<string?>("--notes") { Description = "Text added to the model file's training notes (e.g. the recipe's validation figures)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint file (default: the output file + .ckpt); an existing one is resumed." };

        var command = new Command("train", "Train the DRSA head (trunk frozen, features cached) and write a model file the encoder loads.");
        foreach (var o in new Option[] { device, evalFrames, variant, unlabeled, output, checkpoint, trainOnValidation, notes, init })
        {
            command.Options.Add(o);
        }

        source.AddTo(command);
        recipe.AddTo(command);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CommonOptions.Guard(() =>
        {
            var dev = CommonOptions.ParseDevice(parse.GetValue(device)!);
            string outputPath = parse.GetValue(output)!;
            string checkpointPath = parse.GetValue(checkpoint) ?? outputPath + ".ckpt";
            var options = recipe.Read(parse, checkpointPath);
            var config = Variants.Config(parse.GetValue(variant)!, recipe.BaseConfig(parse));
            var dataOptions = recipe.ForTraining(parse, source.Read(parse)) with
            {
                Unlabeled = parse.GetValue(unlabeled),
                TrainOnValidation = parse.GetValue(trainOnValidation),
            };
            var start = parse.GetValue(init) is { Length: > 0 } initial ? CommonOptions.LoadModel(initial) : null;
            if (start is not null)
            {
                Console.WriteLine($"starting from {start.ModelVersion} ({start.Description.Training.Data})");
                options = options with { WhitenInit = false };
            }

            var result = TrainRun.Run(dataOptions, config, options, parse.GetValue(evalFrames), dev, Console.Out, cancellationToken, start);
            using var model = parse.GetValue(notes) is { Length: > 0 } extra
                ? new ReidModel(result.Model.Model, result.Model.Description with
                {
                    Training = result.Model.Description.Training with { Notes = result.Model.Description.Training.Notes + "; " + extra },
                })
                : result.Model;
            ReidModelFile.Save(model, outputPath);
            File.Delete(checkpointPath);
            Console.WriteLine($"model written to {outputPath} ({new FileInfo(outputPath).Length / 1024} KiB, version {model.ModelVersion})");
            string before = start is null ? "untrained default" : $"start: {start.ModelVersion}";
            CommonOptions.PrintMetrics(Console.Out, [(before, result.Untrained), (model.ModelVersion, result.Trained)]);
            Console.WriteLine(CommonOptions.Json(result.Trained,
                ("untrainedRank1", Math.Round(result.Untrained.Rank1, 2)), ("untrainedMAP", Math.Round(result.Untrained.MeanAp, 2)),
                ("trainSeconds", Math.Round(result.TrainTime.TotalSeconds, 1)), ("featureSeconds", Math.Round(result.FeatureTime.TotalSeconds, 1)),
                ("device", dev.type.ToString().ToLowerInvariant())));
            return 0;
        })));
        return command;
    }
}

/// <summary>One training run: data, untrained baseline, training, evaluation, description.</summary>
internal static class TrainRun
{
    public sealed record Result(
        ReidModel Model, ReidMetrics Untrained, ReidMetrics Trained, IReadOnlyList<EpochReport> History, TimeSpan FeatureTime, TimeSpan TrainTime,
        TrainableEncoder Encoder, MaskStatistics Masks);

    /// <param name="start">A trained model to continue from (owned by the run from here on); null: the ImageNet trunk and a new head.</param>
    public static Result Run(
        DataOptions data, DrsaConfig config, TrainingOptions options, int? evalFrames, Device device, TextWriter log,
        CancellationToken cancellationToken = default, ReidModel? start = null)
    {
        torch.random.manual_seed(options.Seed);
        var model = start ?? ReidModel.CreateDefault(config);
        try
        {
            var clock = Stopwatch.StartNew();
            int tail = TailBlocks(model, options);
            using var experiment = Experiment.Prepare(data, new EncoderTrunk(model, device, tail), forTraining: true, log, cancellationToken);
            var featureTime = clock.Elapsed;
            var result = Train(experiment, model, options, evalFrames, device, log, cancellationToken);
            return result with { FeatureTime = featureTime };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Trains <paramref name="model"/>'s head on a prepared experiment and describes the result.</summary>
    public static Result Train(
        Experiment experiment, ReidModel model, TrainingOptions options, int? evalFrames, Device device, TextWriter log,
        CancellationToken cancellationToken = default)
    {
        int frames = evalFrames ?? model.Description.Architecture.Frames;
        var head = model.Model.Head;
        int cut = TailBlocks(model, options);
        var encoder = new TrainableEncoder(head, model.Model.Trunk, cut);
        // blocks that stay frozen throughout are the stock ones: the model is then a head-only one
        int tail = options.TrunkFrozenEpochs >= options.Epochs ? 0 : cut;
        var untrained = experiment.Evaluate(encoder, frames, device);
        log.WriteLine($"training {experiment.Train.Count} tracklets of {experiment.Train.Select(t => t.Identity).Distinct().Count()} identities; " +
                      $"evaluating {experiment.Evaluation.Queries.Length} queries; untrained: rank-1 {untrained.Rank1:F1}, mAP {untrained.MeanAp:F1}");
        var clock = Stopwatch.StartNew();
        if (options.WhitenInit)
        {
            HeadInitializer.Whiten(encoder, experiment.Cache, experiment.Train);
            var whitened = experiment.Evaluate(encoder, frames, device);
            log.WriteLine($"after whitening the final layer (before training): rank-1 {whitened.Rank1:F1}, mAP {whitened.MeanAp:F1}");
        }

        IReadOnlyList<EpochReport> history;
        using (var progress = new ProgressReporter("training", "epochs"))
        {
            history = HeadTrainer.Train(encoder, experiment.Cache, experiment.Train, options, device, EpochProgress(log, progress), cancellationToken,
                () =>
                {
                    var m = experiment.Evaluate(encoder, frames, device);
                    return (m.Rank1, m.MeanAp);
                });
        }

        var trainTime = clock.Elapsed;
        var trained = experiment.Evaluate(encoder, frames, device);
        var masks = experiment.Masks(encoder, frames, device);
        // figures on identities that were trained on are not validation figures: their keys say so
        string seen = experiment.TrainedOnEvaluation ? "seen." : "";
        var config = model.Description.Architecture;
        var now = TimeProvider.System.GetUtcNow();
        bool wholeTrunk = tail == model.Model.Trunk.WholeTrunk;
        string trunkNote = tail == 0
            ? $"trunk frozen (stock ImageNet ResNet-18, features cached, {experiment.Cache.Views} views per frame)"
            : wholeTrunk
                ? $"whole trunk fine-tuned from ImageNet ResNet-18 ({experiment.Cache.Views} cached image views per frame)"
                : $"last {tail} trunk blocks fine-tuned (lr x{options.TrunkLearningRateFactor}, frozen for the first {options.TrunkFrozenEpochs} epochs) on cached maps of the stock ImageNet ResNet-18 before them ({experiment.Cache.Views} views per frame)";
        var description = model.Description with
        {
            ModelVersion = string.Create(CultureInfo.InvariantCulture,
                $"drsa-{config.Trunk.ToString().ToLowerInvariant()}-k{config.K}{(tail == 0 ? "" : wholeTrunk ? "-ftall" : $"-ft{tail}")}-{experiment.Source.Layout}-{now:yyyyMMddHHmm}"),
            TrunkWeights = wholeTrunk ? ReidModelDescription.InFile : model.Description.TrunkWeights,
            // a model continued from a fine-tuned one keeps its fine-tuned blocks even when only the head trains now
            FineTunedBlocks = wholeTrunk || !model.Description.StockTrunk ? 0 : Math.Max(tail, model.Description.FineTunedBlocks),
            WeightPrecision = tail > 0 || model.Description.FineTunedBlocks > 0 || !model.Description.StockTrunk
                ? ReidModelDescription.Float16 : ReidModelDescription.Float32,
            Training = new TrainingRecord
            {
                Data = experiment.Description,
                Metrics = new Dictionary<string, double>
                {
                    [seen + "rank1"] = Math.Round(trained.Rank1, 2),
                    [seen + "rank5"] = Math.Round(trained.Rank5, 2),
                    [seen + "rank10"] = Math.Round(trained.Rank10, 2),
                    [seen + "rank20"] = Math.Round(trained.Rank20, 2),
                    [seen + "mAP"] = Math.Round(trained.MeanAp, 2),
                    ["maskHellingerQ"] = Math.Round(masks.Hellinger, 4),
                    ["maskOverlap"] = double.IsNaN(masks.Overlap) ? 1 : Math.Round(masks.Overlap, 4),
                    ["trainSeconds"] = Math.Round(trainTime.TotalSeconds, 0),
                },
                Created = now,
                Notes = string.Create(CultureInfo.InvariantCulture,
                    $"head trained with OIM (scale {options.OimScale}, momentum {options.OimMomentum}, label smoothing {options.LabelSmoothing}) + diversity regulariser x{options.RegularizerWeight}" +
                    $"{(options.TripletWeight > 0 ? $" + batch-hard triplet x{options.TripletWeight} (margin {options.TripletMargin})" : "")}{(config.Neck ? ", BNNeck" : "")}, " +
                    $"{trunkNote}; {options.Optimizer} lr {options.LearningRate} " +
                    $"{(options.Optimizer == OptimizerKind.Sgd ? $"momentum {options.Momentum} " : "")}weight decay {options.WeightDecay}, warm-up {options.WarmupEpochs} epochs, steps at [{string.Join(",", options.LearningRateSteps)}], " +
                    $"{(options.WhitenInit ? "fc started from PCA whitening of the training features, " : "")}{options.Epochs} epochs ({options.Stage1Epochs} with uniform temporal weights), batch {options.BatchSize} tracklets x {options.Frames} frames, " +
                    $"seed {options.Seed}; {trainTime.TotalSeconds:F0} s on {device.type.ToString().ToLowerInvariant()}; " +
                    $"metrics: tracklet-level, {frames} frames, cross-camera, {trained.Queries} queries"),
            },
        };
        var described = new ReidModel(model.Model, description);
        return new Result(described, untrained, trained, history, TimeSpan.Zero, trainTime, encoder, masks);
    }

    /// <summary>The trunk blocks the options fine-tune, clamped to the whole trunk.</summary>
    public static int TailBlocks(ReidModel model, TrainingOptions options) =>
        Math.Min(options.FineTuneBlocks, model.Model.Trunk.WholeTrunk);

    /// <summary>Finished epochs go to <paramref name="log"/> (the run's history); a running epoch's figures to the status line.</summary>
    public static IProgress<EpochReport> EpochProgress(TextWriter log, ProgressReporter status) => new SyncProgress<EpochReport>(r =>
    {
        if (r.Partial)
        {
            status.Report(new ProgressStatus(r.Epoch - 1, r.Epochs, "epochs", Format(r), r.Left));
        }
        else
        {
            log.WriteLine(Format(r));
            status.Report(new ProgressStatus(r.Epoch, r.Epochs, "epochs", null, r.Left));
        }
    });

    public static string Format(EpochReport r) => string.Create(CultureInfo.InvariantCulture,
        $"{(r.Resumed ? "resumed " : "")}epoch {r.Epoch}/{r.Epochs}{(r.Partial ? " (running)" : "")} stage {r.Stage} | oim {r.OimLoss:F4} reg {r.Regularizer:F4}" +
        $"{(r.TripletLoss > 0 ? $" triplet {r.TripletLoss:F4}" : "")} | lr {r.LearningRate:G3} | " +
        $"{r.TrackletsPerSecond:F1} tracklets/s ({r.FramesPerSecond:F0} frames/s) | " +
        $"{(r.ValidationRank1 is { } rank1 ? $"validation rank-1 {rank1:F1} mAP {r.ValidationMeanAp:F1} | " : "")}elapsed {r.Elapsed:hh\\:mm\\:ss} left {r.Left:hh\\:mm\\:ss}");
}
