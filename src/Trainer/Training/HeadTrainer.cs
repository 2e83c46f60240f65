using System.Diagnostics;
using System.Text.Json;
using ReId.ReidEncoder;
using TorchSharp;
using TorchSharp.Modules;
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

    /// <summary>
    /// Trunk blocks, counted from its end, fine-tuned with the head on cached maps of the blocks before them
    /// (0: the head alone; a number above the trunk's block count: the whole trunk, on cached images).
    /// </summary>
    public int FineTuneBlocks { get; init; }

    /// <summary>Epochs at the start during which the fine-tuned trunk blocks stay frozen (the head settles first).</summary>
    public int TrunkFrozenEpochs { get; init; }

    /// <summary>Score the held-out data after every this many epochs (0: only at the end, by the caller).</summary>
    public int ValidateEvery { get; init; }

    /// <summary>The optimiser: SGD with momentum (the paper's) or Adam (the strong re-id baselines').</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    /// <summary>The fine-tuned trunk blocks' learning rate relative to <see cref="LearningRate"/>.</summary>
    public double TrunkLearningRateFactor { get; init; } = 1;

    /// <summary>Epochs over which the learning rate rises linearly (per step) from a tenth to its value.</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>Label smoothing of the OIM cross-entropy (0: off; 0.1 in Luo et al. 2019).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Weight of the batch-hard triplet loss next to OIM (0: off); batches then hold whole identities.</summary>
    public double TripletWeight { get; init; }

    /// <summary>Margin of the triplet loss on L2-normalised embeddings.</summary>
    public double TripletMargin { get; init; } = 0.3;

    /// <summary>Tracklets of one identity in a batch when the triplet loss is on (P x K sampling).</summary>
    public int TrackletsPerIdentity { get; init; } = 2;

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"epochs: {Epochs} must be at least 1.");
        if (BatchSize < 2) throw new ArgumentException($"batch size: {BatchSize} must be at least 2.");
        if (Frames < 1) throw new ArgumentException($"frames: {Frames} must be at least 1.");
        if (LearningRate <= 0) throw new ArgumentException($"learning rate: {LearningRate} must be positive.");
        if (RegularizerWeight < 0) throw new ArgumentException($"regulariser weight: {RegularizerWeight} must not be negative.");
        if (FineTuneBlocks < 0) throw new ArgumentException($"fine-tune blocks: {FineTuneBlocks} must not be negative.");
        if (TrunkFrozenEpochs < 0) throw new ArgumentException($"trunk frozen epochs: {TrunkFrozenEpochs} must not be negative.");
        if (WarmupEpochs < 0) throw new ArgumentException($"warm-up: {WarmupEpochs} epochs must not be negative.");
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentException($"label smoothing: {LabelSmoothing} is out of range 0..1.");
        if (TripletWeight < 0) throw new ArgumentException($"triplet weight: {TripletWeight} must not be negative.");
        if (TrackletsPerIdentity < 2) throw new ArgumentException($"tracklets per identity: {TrackletsPerIdentity} must be at least 2.");
        if (TrunkLearningRateFactor <= 0) throw new ArgumentException($"trunk learning rate factor: {TrunkLearningRateFactor} must be positive.");
    }
}

/// <summary>The optimisers training offers.</summary>
public enum OptimizerKind
{
    Sgd,
    Adam,
}

/// <summary>One epoch's figures for the progress display and the loss curve.</summary>
public sealed record EpochReport(
    int Epoch, int Epochs, int Stage, double OimLoss, double Regularizer, double LearningRate,
    double TrackletsPerSecond, TimeSpan Elapsed, TimeSpan Left, bool Resumed = false, double TripletLoss = 0,
    double FramesPerSecond = 0, bool Partial = false, double? ValidationRank1 = null, double? ValidationMeanAp = null);

/// <summary>
/// Trains a DRSA head, and optionally the trunk's last blocks, on cached trunk maps. Deterministic on the CPU for a
/// given seed: all sampling comes from generators seeded per epoch, so a run resumed from a checkpoint ends exactly
/// where an uninterrupted one does.
/// </summary>
public static class HeadTrainer
{
    private const string Magic = "REID-TRAIN-CHECKPOINT-2";

    /// <summary>How often a running epoch reports its progress (partial reports are not kept in the history).</summary>
    public static TimeSpan PartialReportInterval { get; set; } = TimeSpan.FromSeconds(2);

    public static IReadOnlyList<EpochReport> Train(
        DrsaHead head, FeatureCache cache, IReadOnlyList<CachedTracklet> train, TrainingOptions options,
        Device? device = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default) =>
        Train(new TrainableEncoder(head), cache, train, options, device, progress, cancellationToken);

    /// <param name="validate">Scores the encoder on held-out data (rank-1, mAP), after every
    /// <see cref="TrainingOptions.ValidateEvery"/> epochs and after the last; the figures go into the epoch's report.</param>
    public static IReadOnlyList<EpochReport> Train(
        TrainableEncoder encoder, FeatureCache cache, IReadOnlyList<CachedTracklet> train, TrainingOptions options,
        Device? device = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default,
        Func<(double Rank1, double MeanAp)>? validate = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        device ??= CPU;
        var head = encoder.Head;
        var identities = train.Select(t => t.Identity).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select((id, i) => (id, i)).ToDictionary(x => x.id, x => (long)x.i, StringComparer.Ordinal);
        if (identities.Count < 2)
        {
            throw new ArgumentException("Training needs at least two identities.");
        }

        encoder.To(device);
        encoder.Train();
        using var oim = new OimLoss(identities.Count, head.Config.EmbeddingSize, options.OimScale, options.OimMomentum, device);
        // the attention models read raw trunk activations (tens, for the CNTK ResNet-18's 0-255 input): at the final
        // layer's learning rate their scores jump within a few steps and the masks collapse onto single cells
        var named = head.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        bool IsAttention(string name) => name.StartsWith("spatial_", StringComparison.Ordinal) || name.StartsWith("temporal_", StringComparison.Ordinal) || name.StartsWith("enhance", StringComparison.Ordinal);
        double perK = options.Optimizer == OptimizerKind.Sgd ? 1.0 / head.Config.K : 1;
        var parameterSets = new List<(IEnumerable<Parameter> Parameters, double Factor)>
        {
            // the fc input holds the K region features side by side (K copies of the average at the start), so one
            // SGD step moves the embedding about K times as far as with K = 1: the rates are divided by K to compare
            // variants (Adam's steps do not scale with the gradient, so it needs no such correction)
            (named.Where(p => !IsAttention(p.name)).Select(p => p.parameter).ToList(), perK),
            (named.Where(p => IsAttention(p.name)).Select(p => p.parameter).ToList(), options.AttentionLearningRateFactor * perK),
        };
        var trunkParameters = encoder.TrunkParameters().Select(p => p.Parameter).ToList();
        if (trunkParameters.Count > 0)
        {
            parameterSets.Add((trunkParameters, options.TrunkLearningRateFactor));
        }

        double[] factors = parameterSets.Select(p => p.Factor).ToArray();
        using var optimizer = CreateOptimizer(options, parameterSets.Select(p => p.Parameters));
        var temporal = head.named_parameters().Where(p => p.name.StartsWith("temporal_", StringComparison.Ordinal))
            .Select(p => p.parameter).ToList();
        bool staged = head.Config.Temporal == TemporalPooling.Attention && options.Stage1Epochs > 0;

        var history = new List<EpochReport>();
        int startEpoch = 0;
        if (options.CheckpointPath is not null && File.Exists(options.CheckpointPath))
        {
            startEpoch = LoadCheckpoint(options.CheckpointPath, encoder, oim, optimizer, history);
            foreach (var r in history)
            {
                progress?.Report(r with { Resumed = true });
            }
        }

        if (startEpoch == 0 && options.OimTableFromMeans)
        {
            // start each table row at its identity's mean embedding: zero rows would give every unseen identity
            // the same logit and push all features away from the seen ones alike, which collapses them
            var embeddings = Embed(encoder, cache, train, options.Frames, device);
            using var sums = zeros(identities.Count, head.Config.EmbeddingSize, device: device);
            for (int i = 0; i < train.Count; i++)
            {
                using var e = tensor(embeddings[i], device: device);
                using var row = sums[identities[train[i].Identity]];
                row.add_(e);
            }

            using var table = nn.functional.normalize(sums, p: 2, dim: 1);
            oim.Load(table);
            encoder.Train();
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

            bool trunkTrains = epoch >= options.TrunkFrozenEpochs;
            foreach (var p in trunkParameters)
            {
                p.requires_grad_(trunkTrains);
            }

            encoder.Train(trunkTrains);

            double lr = options.LearningRate * Math.Pow(options.LearningRateFactor, options.LearningRateSteps.Count(s => epoch >= s));
            var random = new Random(unchecked((options.Seed * 7919) + epoch));
            var batches = options.TripletWeight > 0
                ? IdentityBatches(train, options.BatchSize, options.TrackletsPerIdentity, random)
                : PlainBatches(train.Count, options.BatchSize, random);
            double oimSum = 0, regSum = 0, tripletSum = 0;
            int steps = 0, seen = 0;
            var epochClock = Stopwatch.StartNew();
            var lastPartial = Stopwatch.StartNew();
            foreach (var indices in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double stepLr = lr;
                if (epoch < options.WarmupEpochs)
                {
                    double progressed = (epoch + ((double)steps / Math.Max(1, batches.Count))) / options.WarmupEpochs;
                    stepLr *= 0.1 + (0.9 * progressed);
                }

                int g = 0;
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = stepLr * factors[g++];
                }

                var batch = indices.Select(i => train[i]).ToList();
                using var scope = NewDisposeScope();
                var input = cache.Batch(batch, options.Frames, random, device);
                var labels = tensor(batch.Select(t => identities[t.Identity]).ToArray(), device: device);
                using var output = encoder.Forward(input);
                var oimLoss = oim.Loss(output.Embedding, labels, options.LabelSmoothing);
                var loss = oimLoss + (output.Regularization * options.RegularizerWeight);
                if (options.TripletWeight > 0)
                {
                    // on the embedding the service compares (after the neck, L2-normalised): the directions before the
                    // neck share a large common component, which leaves every distance near zero and the hinge at the margin
                    var triplet = TripletLoss.BatchHard(output.Embedding, labels, options.TripletMargin);
                    loss = loss + (triplet * options.TripletWeight);
                    tripletSum += triplet.item<float>();
                }

                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                oim.Update(output.Embedding, labels);
                oimSum += oimLoss.item<float>();
                regSum += output.Regularization.item<float>();
                steps++;
                seen += batch.Count;
                if (progress is not null && lastPartial.Elapsed >= PartialReportInterval && steps < batches.Count)
                {
                    lastPartial.Restart();
                    double partialRate = seen / Math.Max(1e-9, epochClock.Elapsed.TotalSeconds);
                    double epochsLeft = options.Epochs - epoch - ((double)steps / batches.Count);
                    progress.Report(new EpochReport(
                        epoch + 1, options.Epochs, stage, oimSum / steps, regSum / steps, stepLr, partialRate, clock.Elapsed,
                        TimeSpan.FromSeconds(epochsLeft * train.Count / Math.Max(1e-9, partialRate)),
                        TripletLoss: tripletSum / steps, FramesPerSecond: partialRate * options.Frames, Partial: true));
                }
            }

            trainedEpochs++;
            double rate = seen / Math.Max(1e-9, epochClock.Elapsed.TotalSeconds);
            var perEpoch = clock.Elapsed / trainedEpochs;
            var report = new EpochReport(
                epoch + 1, options.Epochs, stage, oimSum / Math.Max(1, steps), regSum / Math.Max(1, steps), lr, rate,
                clock.Elapsed, perEpoch * (options.Epochs - epoch - 1),
                TripletLoss: tripletSum / Math.Max(1, steps), FramesPerSecond: rate * options.Frames);
            if (validate is not null && options.ValidateEvery > 0 && ((epoch + 1) % options.ValidateEvery == 0 || epoch + 1 == options.Epochs))
            {
                var (rank1, meanAp) = validate();
                report = report with { ValidationRank1 = rank1, ValidationMeanAp = meanAp };
            }

            history.Add(report);
            progress?.Report(report);
            if (options.CheckpointPath is not null)
            {
                SaveCheckpoint(options.CheckpointPath, epoch + 1, encoder, oim, optimizer, history);
            }
        }

        foreach (var p in temporal.Concat(trunkParameters))
        {
            p.requires_grad_(true);
        }

        encoder.Eval();
        return history;
    }

    /// <summary>One L2-normalised embedding per tracklet: the first frame of each chunk, plain view.</summary>
    public static float[][] Embed(DrsaHead head, FeatureCache cache, IReadOnlyList<CachedTracklet> tracklets, int frames, Device? device = null) =>
        Embed(new TrainableEncoder(head), cache, tracklets, frames, device);

    /// <summary>One L2-normalised embedding per tracklet: the first frame of each chunk, plain view.</summary>
    public static float[][] Embed(TrainableEncoder encoder, FeatureCache cache, IReadOnlyList<CachedTracklet> tracklets, int frames, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(tracklets);
        device ??= CPU;
        encoder.To(device);
        encoder.Eval();
        var result = new List<float[]>(tracklets.Count);
        using var noGrad = no_grad();
        for (int start = 0; start < tracklets.Count; start += 64)
        {
            using var scope = NewDisposeScope();
            var batch = tracklets.Skip(start).Take(64).ToList();
            using var output = encoder.Forward(cache.Batch(batch, frames, null, device));
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

    private static optim.Optimizer CreateOptimizer(TrainingOptions options, IEnumerable<IEnumerable<Parameter>> sets)
    {
        if (options.Optimizer == OptimizerKind.Adam)
        {
            var groups = sets.Select(p => new TorchSharp.Modules.Adam.ParamGroup(p, options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay, false, false));
            return optim.Adam(groups, options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay);
        }

        var sgd = sets.Select(p => new TorchSharp.Modules.SGD.ParamGroup(p, options.LearningRate, options.Momentum, 0, options.WeightDecay, false, false));
        return optim.SGD(sgd, options.LearningRate, options.Momentum, 0, options.WeightDecay);
    }

    /// <summary>The tracklets shuffled into batches of <paramref name="size"/> (a last lone tracklet is left out).</summary>
    private static List<int[]> PlainBatches(int count, int size, Random random)
    {
        var order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        var batches = new List<int[]>();
        for (int start = 0; start + 1 < order.Length; start += size)
        {
            batches.Add(order.Skip(start).Take(size).ToArray());
        }

        return batches;
    }

    /// <summary>
    /// P x K sampling for the triplet loss: identities shuffled, each contributing up to K of its tracklets (other
    /// cameras first), P = size / K identities per batch; identities with a single tracklet are left out.
    /// </summary>
    private static List<int[]> IdentityBatches(IReadOnlyList<CachedTracklet> train, int size, int perIdentity, Random random)
    {
        var byIdentity = Enumerable.Range(0, train.Count).GroupBy(i => train[i].Identity, StringComparer.Ordinal)
            .Where(g => g.Count() >= 2).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray();
        random.Shuffle(byIdentity);
        int identitiesPerBatch = Math.Max(2, size / perIdentity);
        var batches = new List<int[]>();
        for (int start = 0; start + 1 < byIdentity.Length; start += identitiesPerBatch)
        {
            var batch = new List<int>();
            foreach (var members in byIdentity.Skip(start).Take(identitiesPerBatch))
            {
                var shuffled = members.ToArray();
                random.Shuffle(shuffled);
                // spread over cameras: the first pick of each camera before a second pick of any
                batch.AddRange(shuffled.GroupBy(i => train[i].Camera).SelectMany(g => g.Select((index, rank) => (index, rank)))
                    .OrderBy(x => x.rank).Take(perIdentity).Select(x => x.index));
            }

            batches.Add([.. batch]);
        }

        return batches;
    }

    private static void SaveCheckpoint(string path, int epochsDone, TrainableEncoder encoder, OimLoss oim, optim.Optimizer optimizer, List<EpochReport> history)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(encoder.Config));
            writer.Write(encoder.TailBlocks);
            writer.Write(epochsDone);
            writer.Write(JsonSerializer.Serialize(history));
            encoder.Save(writer);
            oim.Table.cpu().Save(writer);
            ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
        }

        // the rename makes a checkpoint either the old one or the new one, never half written
        File.Move(temp, path, overwrite: true);
    }

    private static int LoadCheckpoint(string path, TrainableEncoder encoder, OimLoss oim, optim.Optimizer optimizer, List<EpochReport> history)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        if (reader.ReadString() != Magic)
        {
            throw new InvalidDataException($"'{path}' is not a training checkpoint.");
        }

        string config = reader.ReadString();
        if (config != JsonSerializer.Serialize(encoder.Config))
        {
            throw new InvalidDataException(
                $"The checkpoint '{path}' was made for another architecture ({config}); delete it or train that architecture.");
        }

        int tail = reader.ReadInt32();
        if (tail != encoder.TailBlocks)
        {
            throw new InvalidDataException(
                $"The checkpoint '{path}' fine-tunes {tail} trunk blocks, this run {encoder.TailBlocks}; delete it or train with the same blocks.");
        }

        int epochs = reader.ReadInt32();
        history.AddRange(JsonSerializer.Deserialize<List<EpochReport>>(reader.ReadString()) ?? []);
        encoder.Load(reader);
        using var table = Tensor.Load(reader);
        oim.Load(table.to(oim.Table.device));
        ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
        return epochs;
    }
}
