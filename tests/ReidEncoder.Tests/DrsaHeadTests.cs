using TorchSharp;
using static TorchSharp.torch;

namespace ReId.ReidEncoder.Tests;

public class DrsaHeadTests
{
    private static DrsaHead RandomHead(DrsaConfig config, long seed = 7)
    {
        manual_seed(seed);
        var head = new DrsaHead(config);
        using var noGrad = no_grad();
        // Leave the Baseline state so that masks and temporal weights differ between cells and frames.
        foreach (var (_, p) in head.named_parameters()) p.normal_(0, 0.05);
        head.eval();
        return head;
    }

    private static Tensor Features(long b, long n, long seed = 11) => rand(new long[] { b, n, 512, 8, 4 }, generator: new Generator((ulong)seed));

    [Test]
    public void Forward_OnABatch_GivesShapesUnitNormsAndMasksAndWeightsSummingToOne()
    {
        using var scope = NewDisposeScope();
        using var head = RandomHead(new DrsaConfig { K = 6, D = 32 });
        using var output = head.forward(Features(3, 5));

        Assert.That(output.Embedding.shape, Is.EqualTo(new long[] { 3, 128 }));
        Assert.That(output.Features.shape, Is.EqualTo(new long[] { 3, 6 * 512 }));
        Assert.That(output.Masks.shape, Is.EqualTo(new long[] { 3, 5, 6, 8, 4 }));
        Assert.That(output.TemporalWeights!.shape, Is.EqualTo(new long[] { 3, 6, 5 }));
        Assert.That(output.Embedding.norm(1).data<float>().ToArray(), Is.All.EqualTo(1f).Within(1e-5f));
        Assert.That(output.Masks.sum([3, 4]).data<float>().ToArray(), Is.All.EqualTo(1f).Within(1e-5f));
        Assert.That(output.TemporalWeights.sum(2).data<float>().ToArray(), Is.All.EqualTo(1f).Within(1e-5f));
        // Not uniform: attention is on.
        Assert.That(output.Masks.std().item<float>(), Is.GreaterThan(1e-4f));
        Assert.That(output.TemporalWeights.std().item<float>(), Is.GreaterThan(1e-4f));
    }

    [Test]
    public void NewHead_IsTheBaseline_UniformMasksAndTemporalWeights()
    {
        using var scope = NewDisposeScope();
        using var head = new DrsaHead(new DrsaConfig { D = 16 });
        head.eval();
        using var output = head.forward(Features(2, 4));
        Assert.That(output.Masks.data<float>().ToArray(), Is.All.EqualTo(1f / 32).Within(1e-6f));
        Assert.That(output.TemporalWeights!.data<float>().ToArray(), Is.All.EqualTo(0.25f).Within(1e-6f));
    }

    [Test]
    public void Baseline_Embedding_IsTheFixedProjectionOfTheAverageFeature()
    {
        using var scope = NewDisposeScope();
        using var head = new DrsaHead(new DrsaConfig { K = 3, D = 16 });
        head.eval();
        var features = Features(2, 4);
        using var output = head.forward(features);
        var average = features.mean([1, 3, 4]); // [B, C]
        var projection = tensor(FixedProjection.Orthonormal(128, 512, 20180618), 128, 512);
        var expected = nn.functional.normalize(matmul(average, projection.t()), dim: 1);
        Assert.That(output.Embedding.data<float>().ToArray(), Is.EqualTo(expected.data<float>().ToArray()).Within(1e-5f));
        // Orthonormal rows.
        Assert.That(matmul(projection, projection.t()).sub(eye(128)).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void TemporalAttention_PermutedFrames_GiveTheSameEmbedding()
    {
        using var scope = NewDisposeScope();
        using var head = RandomHead(new DrsaConfig { D = 32 });
        var features = Features(2, 6);
        var permuted = features.index_select(1, tensor(new long[] { 4, 2, 5, 0, 3, 1 }));
        using var a = head.forward(features);
        using var b = head.forward(permuted);
        Assert.That(b.Embedding.data<float>().ToArray(), Is.EqualTo(a.Embedding.data<float>().ToArray()).Within(1e-5f));
    }

    [TestCase(TemporalPooling.Attention)]
    [TestCase(TemporalPooling.Average)]
    [TestCase(TemporalPooling.Max)]
    public void IdenticalFrames_EmbedLikeOneFrame(TemporalPooling pooling)
    {
        using var scope = NewDisposeScope();
        using var head = RandomHead(new DrsaConfig { D = 32, Temporal = pooling });
        var one = Features(1, 1);
        using var single = head.forward(one);
        using var repeated = head.forward(one.repeat(1, 7, 1, 1, 1));
        Assert.That(repeated.Embedding.data<float>().ToArray(), Is.EqualTo(single.Embedding.data<float>().ToArray()).Within(1e-5f));
    }

    [Test]
    public void MaxPooling_GivesNoTemporalWeights_AndDiffersFromAverage()
    {
        using var scope = NewDisposeScope();
        using var max = RandomHead(new DrsaConfig { D = 32, Temporal = TemporalPooling.Max });
        using var avg = RandomHead(new DrsaConfig { D = 32, Temporal = TemporalPooling.Average });
        var features = Features(1, 4);
        using var a = max.forward(features);
        using var b = avg.forward(features);
        Assert.That(a.TemporalWeights, Is.Null);
        Assert.That(b.TemporalWeights!.data<float>().ToArray(), Is.All.EqualTo(0.25f).Within(1e-6f));
        Assert.That(a.Embedding.sub(b.Embedding).abs().max().item<float>(), Is.GreaterThan(1e-3f));
    }

    [Test]
    public void SpatialAttentionOff_GivesUniformMasks()
    {
        using var scope = NewDisposeScope();
        using var head = RandomHead(new DrsaConfig { D = 32, SpatialAttention = false });
        using var output = head.forward(Features(2, 3));
        Assert.That(output.Masks.data<float>().ToArray(), Is.All.EqualTo(1f / 32).Within(1e-6f));
    }

    [Test]
    public void Enhancement_StartsAsIdentity_SoTheBaselineIsUnchanged()
    {
        using var scope = NewDisposeScope();
        using var plain = new DrsaHead(new DrsaConfig { D = 16 });
        using var enhanced = new DrsaHead(new DrsaConfig { D = 16, Enhancement = true });
        plain.eval();
        enhanced.eval();
        var features = Features(2, 3);
        using var a = plain.forward(features);
        using var b = enhanced.forward(features);
        Assert.That(b.Embedding.data<float>().ToArray(), Is.EqualTo(a.Embedding.data<float>().ToArray()).Within(1e-5f));
        Assert.That(enhanced.named_parameters().Select(p => p.name), Does.Contain("enhance.weight"));
    }

    [Test]
    public void Regularization_Backward_GivesGradientsToTheAttentionModels()
    {
        using var scope = NewDisposeScope();
        using var head = RandomHead(new DrsaConfig { D = 32 });
        head.train();
        using var output = head.forward(Features(2, 3));
        output.Regularization.backward();
        var grad = head.named_parameters().First(p => p.name == "spatial_score.weight").parameter.grad;
        Assert.That(grad, Is.Not.Null);
        Assert.That(grad!.abs().sum().item<float>(), Is.GreaterThan(0f));
        Assert.That(float.IsFinite(output.Regularization.item<float>()), Is.True);
    }

    [Test]
    public void Forward_WrongChannelCount_ThrowsNamingTheShape()
    {
        using var scope = NewDisposeScope();
        using var head = new DrsaHead(new DrsaConfig { D = 16 });
        var e = Assert.Throws<ArgumentException>(() => head.forward(zeros(new long[] { 1, 2, 256, 8, 4 })));
        Assert.That(e!.Message, Does.Contain("[1, 2, 256, 8, 4]"));
    }
}

public class HalfPrecisionTests
{
    [Test]
    public void Model_InHalfPrecision_GivesTheFloatEmbeddingClosely()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = new DrsaConfig { K = 2, D = 8, Frames = 2, InputHeight = 64, InputWidth = 32 };
        manual_seed(21);
        using var model = new DrsaModel(config, TrunkWeights.Random);
        foreach (var (_, p) in model.Head.named_parameters()) p.normal_(0, 0.05);
        model.eval();
        var images = CropPreprocessor.Normalize(randint(0, 256, new long[] { 6, 64, 32, 3 }, generator: new Generator(2)).to(ScalarType.Byte), PixelNormalization.Torchvision)
            .reshape(3, 2, 3, 64, 32);
        using var full = model.forward(images);
        model.half();
        using var half = model.forward(images.half());
        Assert.That(half.Embedding.dtype, Is.EqualTo(ScalarType.Float16));
        Assert.That(half.Regularization.dtype, Is.EqualTo(ScalarType.Float32));
        var cosine = (half.Embedding.to(ScalarType.Float32) * full.Embedding).sum(1);
        Assert.That(cosine.min().item<float>(), Is.GreaterThan(0.999f));
    }
}

public class TrunkSplitTests
{
    [Test]
    public void ForwardTailOfForwardPrefix_AnyCut_IsTheWholeTrunk()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var trunk = new ResNetTrunk(TrunkKind.ResNet18);
        trunk.eval();
        using var noGrad = no_grad();
        var x = randn(new long[] { 2, 3, 64, 32 }, generator: new Generator(2));
        var whole = trunk.forward(x);

        foreach (int tail in new[] { 0, 1, 2, 5, trunk.BlockCount, trunk.WholeTrunk })
        {
            var prefix = trunk.ForwardPrefix(x, tail);
            var (channels, stride) = trunk.PrefixShape(tail);
            Assert.That(prefix.shape, Is.EqualTo(new long[] { 2, channels, 64 / stride, 32 / stride }), $"prefix shape, tail {tail}");
            Assert.That(trunk.ForwardTail(prefix, tail).allclose(whole, rtol: 1e-4, atol: 1e-5), Is.True, $"tail {tail}");
        }

        Assert.That(trunk.TailKeyPrefixes(2), Is.EqualTo(new[] { "layer4.1.", "layer4.2." }));
        Assert.That(whole.shape, Is.EqualTo(new long[] { 2, 512, 2, 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trunk.ForwardPrefix(x, trunk.WholeTrunk + 1));
    }

    [Test]
    public void LastStrideOne_TwiceTheCellsEachWayAndTheSplitStillHolds()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var trunk = new ResNetTrunk(TrunkKind.ResNet18, lastStride: 1);
        trunk.eval();
        using var noGrad = no_grad();
        var x = randn(new long[] { 1, 3, 64, 32 }, generator: new Generator(2));

        var whole = trunk.forward(x);

        Assert.That(whole.shape, Is.EqualTo(new long[] { 1, 512, 4, 2 }));
        Assert.That(trunk.OutputStride, Is.EqualTo(16));
        Assert.That(trunk.PrefixShape(1), Is.EqualTo((512, 16)));
        Assert.That(trunk.ForwardTail(trunk.ForwardPrefix(x, 2), 2).allclose(whole, rtol: 1e-4, atol: 1e-5), Is.True);
        Assert.That(new DrsaConfig { LastStride = 1 }.Cells, Is.EqualTo(128));
    }
}

public class FlipAverageTests
{
    [Test]
    public void Mirrored_SwapsColumnsAndKeepsEachPixelsChannels()
    {
        // 3 x 2 pixels: each pixel's channels are (column, row, 9)
        var bytes = new byte[3 * 2 * 3];
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 3; x++)
            {
                bytes[((y * 3) + x) * 3] = (byte)x;
                bytes[(((y * 3) + x) * 3) + 1] = (byte)y;
                bytes[(((y * 3) + x) * 3) + 2] = 9;
            }
        }

        var mirrored = new BgrImage(bytes, 3, 2).Mirrored().Bgr.ToArray();

        Assert.That(mirrored[..9], Is.EqualTo(new byte[] { 2, 0, 9, 1, 0, 9, 0, 0, 9 }));
        Assert.That(mirrored[9..], Is.EqualTo(new byte[] { 2, 1, 9, 1, 1, 9, 0, 1, 9 }));
    }

    [Test]
    public void Average_TwoUnitVectors_IsTheirNormalisedMean()
    {
        var v = Embedding.Average([1f, 0f], [0f, 1f]);

        Assert.That(v[0], Is.EqualTo(MathF.Sqrt(0.5f)).Within(1e-6));
        Assert.That(v[1], Is.EqualTo(MathF.Sqrt(0.5f)).Within(1e-6));
    }
}
