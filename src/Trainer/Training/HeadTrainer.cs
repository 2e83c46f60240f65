using System.Diagnostics;
using System.Text.Json;
using ReId.ReidEncoder;
using TorchSharp;
using static TorchSharp.torch;

namespace ReId.Trainer.Training;

/// <summary>The recipe: SGD with momentum and weight decay, a step schedule, OIM and the diversity regulariser.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 30;

    /// <summary>Tracklets per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Frames per tracklet (restricted random sampling).</summary>
    public int Frames { get; init; } = 4;

    public double LearningRate { get; init; } = 0.001;

    /// <summary>The attention models' learning rate relative to <see cref="LearningRate"/>.</summary>
    public double AttentionLearningRateFactor { get; init; } = 1;

    /// <summary>Epochs (0-based) from which the learning rate is multiplied by <see cref="LearningRateFactor"/> once more.</summary>
    public IReadOnlyList<int> LearningRateSteps { get; init; } = [20];

    public double LearningRateFactor { get; init; } = 0.1;

    public double Momentum { get; init; } = 0.9;

    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>Weight of the diversity regulariser in the loss.</summary>
    public double RegularizerWeight { get; init; } = 0.001;

    public double OimScale { get; init; } = 30;

    public double OimMomentum { get; init; } = 0.5;

    /// <summary>
    /// Stage 1 of the recipe: for this many epochs the temporal attention stays uniform (average pooling) while
    /// the spatial attention, fc and OIM train; stage 2 then trains temporal attention too.
    /// </summary>
    public int Stage1Epochs { get; init; } = 10;

    public int Seed { get; init; } = 1;

    /// <summary>Start the OIM table at each identity's mean embedding (else at zero, filled as identities are seen).</summary>
    public bool OimTableFromMeans { get; init; } = true;

    /// <summary>Start the final layer from a whitening of the training features (<see cref="HeadInitializer"/>).</summary>
    public bool WhitenInit { get; init; } = true;

    /// <summary>Checkpoint written after every epoch; an existing one is resumed from.</summary>
    public string? CheckpointPath { get; init; }

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"epochs: {Epochs} must be at least 1.");
        if (BatchSize < 2) throw new ArgumentException($"batch size: {BatchSize} must be at least 2.");
        if (Frames < 1) throw new ArgumentException($"frames: {Frames} must be at least 1.");
        if (LearningRate <= 0) throw new ArgumentException($"learning rate: {LearningRate} must be positive.");
        if (RegularizerWeight < 0) throw new ArgumentException($"regulariser weight: {RegularizerWeight} must not be negative.");
    }
}

/// <summary>One epoch's figures for the progress display and the loss curve.</summary>
public sealed record EpochReport(
    int Epoch, int Epochs, int Stage, double OimLoss, double Regularizer, double LearningRate,
    double TrackletsPerSecond, TimeSpan Elapsed, TimeSpan Left, bool Resumed = false);

/// <summary>
/// Trains a DRSA head on cached trunk features (the trunk is frozen). Deterministic on the CPU for a given seed:
/// all sampling comes from generators seeded per epoch, so a run resumed from a checkpoint ends exactly where an
/// uninterrupted one does.
/// </summary>
public static class HeadTrainer
{
    private const string Magic = "REID-TRAIN-CHECKPOINT-1";

    public static IReadOnlyList<EpochReport> Train(
        DrsaHead head, FeatureCache cache, IReadOnlyList<CachedTracklet> train, TrainingOptions options,
        Device? device = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        device ??= CPU;
        var identities = train.Select(t => t.Identity).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select((id, i) => (id, i)).ToDictionary(x => x.id, x => (long)x.i, StringComparer.Ordinal);
        if (identities.Count < 2)
        {
            throw new ArgumentException("Training needs at least two identities.");
        }

        head.to(device);
        head.train();
        using var oim = new OimLoss(identities.Count, head.Config.EmbeddingSize, options.OimScale, options.OimMomentum, device);
        // the attention models read raw trunk activations (tens, for the CNTK ResNet-18's 0-255 input): at the final
        // layer's learning rate their scores jump within a few steps and the masks collapse onto single cells
        var named = head.named_parameters().ToList();
        bool IsAttention(string name) => name.StartsWith("spatial_", StringComparison.Ordinal) || name.StartsWith("temporal_", StringComparison.Ordinal) || name.StartsWith("enhance", StringComparison.Ordinal);
        var groups = new[]
        {
            new TorchSharp.Modules.SGD.ParamGroup(named.Where(p => !IsAttention(p.name)).Select(p => p.parameter), options.LearningRate, options.Momentum, 0, options.WeightDecay, false, false),
            new TorchSharp.Modules.SGD.ParamGroup(named.Where(p => IsAttention(p.name)).Select(p => p.parameter), options.LearningRate * options.AttentionLearningRateFactor, options.Momentum, 0, options.WeightDecay, false, false),
        };
        // the fc input holds the K region features side by side (K copies of the average at the start), so one SGD
        // step moves the embedding about K times as far as with K = 1: the rates are divided by K to compare variants
        double perK = 1.0 / head.Config.K;
        double[] factors = [perK, perK * options.AttentionLearningRateFactor];
        using var optimizer = optim.SGD(groups, options.LearningRate, options.Momentum, 0, options.WeightDecay);
        var temporal = head.named_parameters().Where(p => p.name.StartsWith("temporal_", StringComparison.Ordinal))
            .Select(p => p.parameter).ToList();
        bool staged = head.Config.Temporal == TemporalPooling.Attention && options.Stage1Epochs > 0;

        var history = new List<EpochReport>();
        int startEpoch = 0;
        if (options.CheckpointPath is not null && File.Exists(options.CheckpointPath))
        {
            startEpoch = LoadCheckpoint(options.CheckpointPath, head, oim, optimizer, history);
            foreach (var r in history)
            {
                progress?.Report(r with { Resumed = true });
            }
        }

        if (startEpoch == 0 && options.OimTableFromMeans)
        {
            // start each table row at its identity's mean embedding: zero rows would give every unseen identity
            // the same logit and push all features away from the seen ones alike, which collapses them
            var embeddings = Embed(head, cache, train, options.Frames, device);
            using var sums = zeros(identities.Count, head.Config.EmbeddingSize, device: device);
            for (int i = 0; i < train.Count; i++)
            {
                using var e = tensor(embeddings[i], device: device);
                using var row = sums[identities[train[i].Identity]];
                row.add_(e);
            }

            using var table = nn.functional.normalize(sums, p: 2, dim: 1);
            oim.Load(table);
            head.train();
        }

        var clock = Stopwatch.StartNew();
        int trainedEpochs = 0;
        for (int epoch = startEpoch; epoch < options.Epochs; epoch++)
        {
            int stage = staged && epoch < options.Stage1Epochs ? 1 : 2;
            foreach (var p in temporal)
            {
                p.requires_grad_(!staged || stage == 2);
            }

            double lr = options.LearningRate * Math.Pow(options.LearningRateFactor, options.LearningRateSteps.Count(s => epoch >= s));
            int g = 0;
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr * factors[g++];
            }

            var random = new Random(unchecked((options.Seed * 7919) + epoch));
            var order = Enumerable.Range(0, train.Count).ToArray();
            random.Shuffle(order);
            double oimSum = 0, regSum = 0;
            int steps = 0, seen = 0;
            var epochClock = Stopwatch.StartNew();
            for (int start = 0; start + 1 < order.Length; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = order.Skip(start).Take(options.BatchSize).Select(i => train[i]).ToList();
                using var scope = NewDisposeScope();
                var input = cache.Batch(batch, options.Frames, random, device);
                var labels = tensor(batch.Select(t => identities[t.Identity]).ToArray(), device: device);
                using var output = head.forward(input);
                var oimLoss = oim.Loss(output.Embedding, labels);
                var loss = oimLoss + (output.Regularization * options.RegularizerWeight);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                oim.Update(output.Embedding, labels);
                oimSum += oimLoss.item<float>();
                regSum += output.Regularization.item<float>();
                steps++;
                seen += batch.Count;
            }

            trainedEpochs++;
            double rate = seen / Math.Max(1e-9, epochClock.Elapsed.TotalSeconds);
            var perEpoch = clock.Elapsed / trainedEpochs;
            var report = new EpochReport(
                epoch + 1, options.Epochs, stage, oimSum / Math.Max(1, steps), regSum / Math.Max(1, steps), lr, rate,
                clock.Elapsed, perEpoch * (options.Epochs - epoch - 1));
            history.Add(report);
            progress?.Report(report);
            if (options.CheckpointPath is not null)
            {
                SaveCheckpoint(options.CheckpointPath, epoch + 1, head, oim, optimizer, history);
            }
        }

        foreach (var p in temporal)
        {
            p.requires_grad_(true);
        }

        head.eval();
        return history;
    }

    /// <summary>One L2-normalised embedding per tracklet: the first frame of each chunk, plain view.</summary>
    public static float[][] Embed(DrsaHead head, FeatureCache cache, IReadOnlyList<CachedTracklet> tracklets, int frames, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(tracklets);
        device ??= CPU;
        head.to(device);
        head.eval();
        var result = new List<float[]>(tracklets.Count);
        using var noGrad = no_grad();
        for (int start = 0; start < tracklets.Count; start += 64)
        {
            using var scope = NewDisposeScope();
            var batch = tracklets.Skip(start).Take(64).ToList();
            using var output = head.forward(cache.Batch(batch, frames, null, device));
            var e = output.Embedding.cpu();
            long dim = e.shape[1];
            var flat = e.data<float>().ToArray();
            for (int i = 0; i < batch.Count; i++)
            {
                result.Add(flat.AsSpan(i * (int)dim, (int)dim).ToArray());
            }
        }

        return result.ToArray();
    }

    private static void SaveCheckpoint(string path, int epochsDone, DrsaHead head, OimLoss oim, optim.Optimizer optimizer, List<EpochReport> history)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(head.Config));
            writer.Write(epochsDone);
            writer.Write(JsonSerializer.Serialize(history));
            head.save(writer);
            oim.Table.cpu().Save(writer);
            ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
        }

        // the rename makes a checkpoint either the old one or the new one, never half written
        File.Move(temp, path, overwrite: true);
    }

    private static int LoadCheckpoint(string path, DrsaHead head, OimLoss oim, optim.Optimizer optimizer, List<EpochReport> history)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        if (reader.ReadString() != Magic)
        {
            throw new InvalidDataException($"'{path}' is not a training checkpoint.");
        }

        string config = reader.ReadString();
        if (config != JsonSerializer.Serialize(head.Config))
        {
            throw new InvalidDataException(
                $"The checkpoint '{path}' was made for another architecture ({config}); delete it or train that architecture.");
        }

        int epochs = reader.ReadInt32();
        history.AddRange(JsonSerializer.Deserialize<List<EpochReport>>(reader.ReadString()) ?? []);
        head.load(reader);
        using var table = Tensor.Load(reader);
        oim.Load(table.to(oim.Table.device));
        ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
        return epochs;
    }
}
