using ReId.ReidEncoder;
using ReId.Trainer.Data;
using ReId.Trainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ReId.Trainer.Tests;

public class OimLossTests
{
    [Test]
    public void Loss_EmptyTable_IsLogOfIdentityCount()
    {
        using var scope = NewDisposeScope();
        using var oim = new OimLoss(5, 4);
        var x = nn.functional.normalize(randn(3, 4), p: 2, dim: 1);

        var loss = oim.Loss(x, tensor(new long[] { 0, 1, 2 }));

        Assert.That(loss.item<float>(), Is.EqualTo(MathF.Log(5)).Within(1e-5));
    }

    [Test]
    public void Update_SeenIdentity_RowMovesWithMomentumAndStaysUnitLength()
    {
        using var scope = NewDisposeScope();
        using var oim = new OimLoss(3, 2, momentum: 0.5);
        oim.Update(tensor(new float[] { 1, 0 }, 1, 2), tensor(new long[] { 1 }));
        oim.Update(tensor(new float[] { 0, 1 }, 1, 2), tensor(new long[] { 1 }));

        var row = oim.Table[1].data<float>().ToArray();

        // 0.5 * [1, 0] + 0.5 * [0, 1], renormalised
        Assert.That(row[0], Is.EqualTo(MathF.Sqrt(0.5f)).Within(1e-5));
        Assert.That(row[1], Is.EqualTo(MathF.Sqrt(0.5f)).Within(1e-5));
        Assert.That(oim.Table[0].abs().sum().item<float>(), Is.Zero);
    }

    [Test]
    public void Loss_FeatureCloseToItsOwnRow_LowerThanToAnotherRow()
    {
        using var scope = NewDisposeScope();
        using var oim = new OimLoss(2, 2, scale: 10);
        oim.Update(tensor(new float[] { 1, 0, 0, 1 }, 2, 2), tensor(new long[] { 0, 1 }));
        var x = tensor(new float[] { 1, 0 }, 1, 2);

        float right = oim.Loss(x, tensor(new long[] { 0 })).item<float>();
        float wrong = oim.Loss(x, tensor(new long[] { 1 })).item<float>();

        Assert.That(right, Is.LessThan(0.01f));
        Assert.That(wrong, Is.GreaterThan(9f));
    }
}

/// <summary>A stand-in trunk for fast tests: maps from a crop's colours through a fixed random projection.</summary>
internal sealed class ColourTrunk : ITrunkFeatures
{
    private readonly Tensor _projection;

    public ColourTrunk()
    {
        var generator = new Generator(42);
        _projection = randn([6, Channels * Height * Width], generator: generator);
    }

    public int Calls { get; private set; }

    public string Id => "colour-test-trunk";

    public int Channels => 512;

    public int Height => 2;

    public int Width => 1;

    public Tensor Extract(IReadOnlyList<BgrImage> crops)
    {
        Calls++;
        var stats = new float[crops.Count * 6];
        for (int i = 0; i < crops.Count; i++)
        {
            var c = crops[i];
            int half = c.Width * c.Height * 3 / 2;
            var px = c.Bgr.Span;
            for (int p = 0; p < px.Length; p++)
            {
                stats[(i * 6) + ((p >= half ? 3 : 0) + (p % 3))] += px[p] / 255f / (c.Width * c.Height / 2);
            }
        }

        using var s = tensor(stats, crops.Count, 6);
        return nn.functional.relu(matmul(s, _projection)).reshape(crops.Count, Channels, Height, Width);
    }
}

public class HeadTrainerTests
{
    private static readonly DrsaConfig Small = new() { K = 2, D = 8, EmbeddingSize = 16, Frames = 2 };

    private static TrainingOptions Options(string? checkpoint = null) => new()
    {
        Epochs = 4,
        BatchSize = 8,
        Frames = 2,
        LearningRate = 0.1,
        LearningRateSteps = [3],
        Stage1Epochs = 2,
        Seed = 5,
        CheckpointPath = checkpoint,
    };

    private static (TinyData Data, FeatureCache Cache, IReadOnlyList<CachedTracklet> Tracklets) Prepare(ITrunkFeatures trunk, string? file = null, TinyData? data = null)
    {
        data ??= new TinyData();
        string root = data.Cuhk03(12, 2);
        var set = DatasetLayouts.Read("cuhk03", root);
        var cache = FeatureCache.Build(set, trunk, views: 2, seed: 1, file);
        return (data, cache, cache.Resolve(set.Tracklets));
    }

    private static float[][] TrainAndEmbed(FeatureCache cache, IReadOnlyList<CachedTracklet> tracklets, TrainingOptions options, CancellationToken token = default, IProgress<EpochReport>? progress = null)
    {
        random.manual_seed(3);
        using var head = new DrsaHead(Small);
        HeadTrainer.Train(head, cache, tracklets, options, CPU, progress, token);
        return HeadTrainer.Embed(head, cache, tracklets, 2);
    }

    [Test]
    public void Train_FewEpochs_OimLossFalls()
    {
        var (data, cache, tracklets) = Prepare(new ColourTrunk());
        using (data)
        using (cache)
        {
            random.manual_seed(3);
            using var head = new DrsaHead(Small);
            var history = HeadTrainer.Train(head, cache, tracklets, Options() with { Epochs = 6, LearningRateSteps = [6] });

            Assert.That(history, Has.Count.EqualTo(6));
            Assert.That(history[^1].OimLoss, Is.LessThan(history[0].OimLoss * 0.9));
            Assert.That(history.Select(h => h.Stage), Is.EqualTo(new[] { 1, 1, 2, 2, 2, 2 }));
            Assert.That(history.All(h => h.TrackletsPerSecond > 0), Is.True);
        }
    }

    [Test]
    public void Train_StageOne_KeepsTemporalAttentionUniformThenStageTwoTrainsIt()
    {
        var (data, cache, tracklets) = Prepare(new ColourTrunk());
        using (data)
        using (cache)
        {
            random.manual_seed(3);
            using var head = new DrsaHead(Small);
            HeadTrainer.Train(head, cache, tracklets, Options() with { Epochs = 2, Stage1Epochs = 2 });
            var afterStage1 = head.named_parameters().Single(p => p.name == "temporal_weight").parameter.abs().sum().item<float>();
            HeadTrainer.Train(head, cache, tracklets, Options() with { Epochs = 2, Stage1Epochs = 0 });
            var afterStage2 = head.named_parameters().Single(p => p.name == "temporal_weight").parameter.abs().sum().item<float>();

            Assert.That(afterStage1, Is.Zero);
            Assert.That(afterStage2, Is.GreaterThan(0));
        }
    }

    [Test]
    public void Train_SameSeedTwice_SameEmbeddings()
    {
        var (data, cache, tracklets) = Prepare(new ColourTrunk());
        using (data)
        using (cache)
        {
            var a = TrainAndEmbed(cache, tracklets, Options());
            var b = TrainAndEmbed(cache, tracklets, Options());

            Assert.That(b, Is.EqualTo(a));
        }
    }

    [Test]
    public void Train_InterruptedThenRunAgain_ResumesFromCheckpointAndEndsLikeAnUninterruptedRun()
    {
        var (data, cache, tracklets) = Prepare(new ColourTrunk());
        using (data)
        using (cache)
        {
            var uninterrupted = TrainAndEmbed(cache, tracklets, Options());
            string checkpoint = data.Path("run.ckpt");
            using var cts = new CancellationTokenSource();
            var seen = new List<EpochReport>();
            Assert.Throws<OperationCanceledException>(() => TrainAndEmbed(cache, tracklets, Options(checkpoint), cts.Token,
                new SyncProgress<EpochReport>(r =>
                {
                    seen.Add(r);
                    if (r.Epoch == 2)
                    {
                        cts.Cancel();
                    }
                })));
            Assert.That(File.Exists(checkpoint), Is.True);

            var resumedReports = new List<EpochReport>();
            var resumed = TrainAndEmbed(cache, tracklets, Options(checkpoint), default, new SyncProgress<EpochReport>(resumedReports.Add));

            Assert.That(resumedReports.Where(r => r.Resumed).Select(r => r.Epoch), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(resumedReports.Where(r => !r.Resumed).Select(r => r.Epoch), Is.EqualTo(new[] { 3, 4 }));
            Assert.That(resumed, Is.EqualTo(uninterrupted));
        }
    }

    [Test]
    public void Train_CheckpointOfAnotherArchitecture_RefusedWithReason()
    {
        var (data, cache, tracklets) = Prepare(new ColourTrunk());
        using (data)
        using (cache)
        {
            string checkpoint = data.Path("arch.ckpt");
            TrainAndEmbed(cache, tracklets, Options(checkpoint) with { Epochs = 1 });
            using var other = new DrsaHead(Small with { K = 3 });

            var e = Assert.Throws<InvalidDataException>(() => HeadTrainer.Train(other, cache, tracklets, Options(checkpoint)));

            Assert.That(e!.Message, Does.Contain("another architecture"));
        }
    }

    [Test]
    public void Build_SecondTimeWithCacheFile_ReusesFeaturesWithoutTheTrunk()
    {
        var trunk = new ColourTrunk();
        using var data = new TinyData();
        string file = data.Path("features.bin");
        var (_, first, firstTracklets) = Prepare(trunk, file, data);
        int calls = trunk.Calls;
        first.Dispose();
        var set = DatasetLayouts.Read("cuhk03", data.Path("cuhk03"));

        using var second = FeatureCache.Build(set, trunk, views: 2, seed: 1, file);

        Assert.That(calls, Is.GreaterThan(0));
        Assert.That(trunk.Calls, Is.EqualTo(calls));
        Assert.That(second.Resolve(set.Tracklets).Select(t => t.Frames), Is.EqualTo(firstTracklets.Select(t => t.Frames)));
    }

    [Test]
    public void Build_CorruptFrame_SkippedCountedAndTrackletKeepsItsOtherFrames()
    {
        using var data = new TinyData();
        string root = data.Cuhk03(3, 2);
        File.WriteAllBytes(Path.Combine(root, "0001_00.jpg"), [1, 2, 3]);
        var set = DatasetLayouts.Read("cuhk03", root);

        using var cache = FeatureCache.Build(set, new ColourTrunk(), views: 2, seed: 1, file: null);
        var resolved = cache.Resolve(set.Tracklets);

        Assert.That(cache.Skipped, Is.EqualTo(1));
        Assert.That(resolved, Has.Count.EqualTo(6));
        Assert.That(resolved.Single(t => t.Identity == "0001" && t.Camera == 1).Frames, Has.Length.EqualTo(1));
    }
}

public class FeaturePackTests
{
    [Test]
    public void WritePack_ThenRead_SameBatchesForTheSameTracklets()
    {
        using var data = new TinyData();
        var set = DatasetLayouts.Read("cuhk03", data.Cuhk03(4, 2));
        using var cache = FeatureCache.Build(set, new ColourTrunk(), views: 1, seed: 1, file: null);
        var tracklets = cache.Resolve(set.Tracklets).Where(t => t.Identity != "0000").ToList();
        string path = data.Path("pack.bin");

        cache.WritePack(path, tracklets);
        var (packed, packedTracklets) = FeatureCache.ReadPack(path);

        using (packed)
        {
            Assert.That(packedTracklets.Select(t => (t.Identity, t.Camera)), Is.EqualTo(tracklets.Select(t => (t.Identity, t.Camera))));
            using var a = cache.Batch(tracklets, 2, null, CPU);
            using var b = packed.Batch(packedTracklets, 2, null, CPU);
            Assert.That(a.allclose(b), Is.True);
        }
    }
}

public class TripletLossTests
{
    [Test]
    public void BatchHard_HandComputedCase_FarthestPositiveAgainstNearestNegative()
    {
        using var scope = NewDisposeScope();
        // ids 0, 0, 1, 1 and a lone id 2 (no positive: left out)
        var x = tensor(new float[] { 1, 0, 0.6f, 0.8f, 0.8f, 0.6f, 0, 1, -1, 0 }, 5, 2);
        var labels = tensor(new long[] { 0, 0, 1, 1, 2 });

        float loss = TripletLoss.BatchHard(x, labels, 0.3).item<float>();

        // anchors 0 and 3: sqrt(0.8) - sqrt(0.4) + 0.3; anchors 1 and 2: sqrt(0.8) - sqrt(0.08) + 0.3
        double expected = ((Math.Sqrt(0.8) - Math.Sqrt(0.4) + 0.3) + (Math.Sqrt(0.8) - Math.Sqrt(0.08) + 0.3)) / 2;
        Assert.That(loss, Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void BatchHard_SeparatedBeyondTheMargin_IsZero()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 0, 1, 0, -1, 0, -1, 0 }, 4, 2);

        float loss = TripletLoss.BatchHard(x, tensor(new long[] { 0, 0, 1, 1 }), 0.3).item<float>();

        Assert.That(loss, Is.Zero);
    }
}

public class FineTuningTests
{
    private static readonly DrsaConfig Small = new() { K = 2, D = 8, EmbeddingSize = 16, Frames = 2, InputHeight = 64, InputWidth = 32, Neck = true };

    private static ReidModel RandomModel()
    {
        random.manual_seed(4);
        var model = new DrsaModel(Small, TrunkWeights.Random);
        return new ReidModel(model, new ReidModelDescription { ModelVersion = "test-fine-tune", Architecture = Small });
    }

    private static Dictionary<string, Tensor> Snapshot(ReidModel model) =>
        model.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

    [Test]
    public void Train_LastTrunkBlockWithTheHead_ChangesThatBlockAndTheHeadOnly()
    {
        using var data = new TinyData();
        var set = DatasetLayouts.Read("cuhk03", data.Cuhk03(8, 2));
        using var model = RandomModel();
        using var cache = FeatureCache.Build(set, new EncoderTrunk(model, CPU, tailBlocks: 1), views: 1, seed: 1, file: null);
        var tracklets = cache.Resolve(set.Tracklets);
        var before = Snapshot(model);
        var encoder = new TrainableEncoder(model.Model.Head, model.Model.Trunk, tailBlocks: 1);
        var options = new TrainingOptions
        {
            Epochs = 2, BatchSize = 8, Frames = 2, LearningRate = 1e-3, LearningRateSteps = [2], Stage1Epochs = 0, Seed = 2,
            FineTuneBlocks = 1, Optimizer = OptimizerKind.Adam, TripletWeight = 1, LabelSmoothing = 0.1, WarmupEpochs = 1,
        };

        var history = HeadTrainer.Train(encoder, cache, tracklets, options);

        var after = model.Model.state_dict();
        bool Changed(string key) => !after[key].eq(before[key]).all().item<bool>();
        Assert.That(Changed("trunk.layer4.2.conv2.weight"), Is.True, "the fine-tuned block trains");
        Assert.That(Changed("head.fc.weight"), Is.True, "the head trains");
        Assert.That(Changed("trunk.layer4.1.conv2.weight"), Is.False, "blocks before it stay as they were");
        Assert.That(Changed("trunk.conv1.weight"), Is.False);
        Assert.That(history.All(h => double.IsFinite(h.OimLoss) && h.TripletLoss > 0), Is.True);
    }

    [Test]
    public void Embed_CachedPrefixThroughTheTail_AgreesWithTheWholeTrunksMaps()
    {
        using var data = new TinyData();
        var set = DatasetLayouts.Read("cuhk03", data.Cuhk03(3, 2));
        using var model = RandomModel();
        model.Model.eval();
        using var prefix = FeatureCache.Build(set, new EncoderTrunk(model, CPU, tailBlocks: 3), views: 1, seed: 1, file: null);
        using var whole = FeatureCache.Build(set, new EncoderTrunk(model, CPU), views: 1, seed: 1, file: null);

        var viaTail = HeadTrainer.Embed(new TrainableEncoder(model.Model.Head, model.Model.Trunk, 3), prefix, prefix.Resolve(set.Tracklets), 2);
        var viaWhole = HeadTrainer.Embed(model.Model.Head, whole, whole.Resolve(set.Tracklets), 2);

        for (int i = 0; i < viaTail.Length; i++)
        {
            double cosine = viaTail[i].Zip(viaWhole[i], (a, b) => (double)a * b).Sum();
            Assert.That(cosine, Is.GreaterThan(0.995), $"tracklet {i}");
        }
    }
}
