using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace ReId.ReidEncoder.Tests;

public class ModelFileTests
{
    private string folder = "";

    private static readonly DrsaConfig Small = new() { K = 3, D = 8, Frames = 2, InputHeight = 64, InputWidth = 32 };

    [SetUp]
    public void SetUp()
    {
        folder = Path.Combine(Path.GetTempPath(), "reid-model-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(folder, recursive: true);

    private static ReidModel SmallRandomModel(DrsaConfig? config = null)
    {
        manual_seed(3);
        var model = new DrsaModel(config ?? Small, TrunkWeights.Random);
        using (no_grad())
        {
            foreach (var (name, p) in model.Head.named_parameters()) p.normal_(0, 0.05);
        }
        model.eval();
        return new ReidModel(model, new ReidModelDescription
        {
            ModelVersion = "test-small-1",
            Architecture = config ?? Small,
            TrunkWeights = ReidModelDescription.InFile,
            Training = new TrainingRecord { Data = "none", Metrics = new Dictionary<string, double> { ["cuhk03.rank1"] = 0.25 } },
        });
    }

    private static float[] Embed(DrsaModel model, Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var output = model.forward(images);
        return output.Embedding.data<float>().ToArray();
    }

    [Test]
    public void SaveLoad_RandomTrunk_RoundTripsToIdenticalOutputsAndDescription()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(folder, "m.reid");
        var images = randn(new long[] { 2, 2, 3, 64, 32 }, generator: new Generator(5));
        using var original = SmallRandomModel();
        ReidModelFile.Save(original, path);
        using var loaded = ReidModelFile.Load(path, Small);
        loaded.Model.eval();

        Assert.That(Embed(loaded.Model, images), Is.EqualTo(Embed(original.Model, images)));
        Assert.That(loaded.Description.ModelVersion, Is.EqualTo("test-small-1"));
        Assert.That(loaded.Description.Architecture, Is.EqualTo(Small));
        Assert.That(loaded.Description.Training.Metrics["cuhk03.rank1"], Is.EqualTo(0.25));
        Assert.That(loaded.Description.Pixels, Is.EqualTo(PixelNormalization.ImageNetResNet18));
    }

    [Test]
    public void SaveLoad_StockTrunk_LeavesTheTrunkOutAndRoundTrips()
    {
        TestData.IgnoreWithoutImageNetWeights();
        using var scope = NewDisposeScope();
        var path = Path.Combine(folder, "default.reid");
        var config = new DrsaConfig { K = 2, D = 16, Frames = 2 };
        using var original = ReidModel.CreateDefault(config);
        original.Model.eval();
        ReidModelFile.Save(original, path);
        using var loaded = ReidModelFile.Load(path);
        loaded.Model.eval();

        long trunkBytes = original.Model.Trunk.parameters().Sum(p => p.numel()) * sizeof(float);
        Assert.That(new FileInfo(path).Length, Is.LessThan(trunkBytes / 4), "the stock trunk must not be stored in the file");
        Assert.That(loaded.Description.StockTrunk, Is.True);
        var images = randn(new long[] { 1, 2, 3, 256, 128 }, generator: new Generator(9)) * 50;
        Assert.That(Embed(loaded.Model, images), Is.EqualTo(Embed(original.Model, images)));
    }

    /// <summary>The stock default with its last two trunk blocks and head changed, described as fine-tuned in float16.</summary>
    private static ReidModel FineTunedModel(DrsaConfig config)
    {
        var model = ReidModel.CreateDefault(config);
        using (no_grad())
        {
            var generator = new Generator(11);
            foreach (var (name, p) in model.Model.named_parameters())
            {
                if (name.StartsWith("trunk.layer4.1.", StringComparison.Ordinal) || name.StartsWith("trunk.layer4.2.", StringComparison.Ordinal) || name.StartsWith("head.", StringComparison.Ordinal))
                {
                    p.add_(randn(p.shape, generator: generator) * 0.01);
                }
            }
        }
        model.Model.eval();
        return new ReidModel(model.Model, model.Description with
        {
            ModelVersion = "test-fine-tuned-1",
            FineTunedBlocks = 2,
            WeightPrecision = ReidModelDescription.Float16,
        });
    }

    [Test]
    public void SaveLoad_FineTunedBlocksInHalfPrecision_StoresOnlyThoseBlocksAndEmbedsAsTheOriginal()
    {
        TestData.IgnoreWithoutImageNetWeights();
        using var scope = NewDisposeScope();
        var path = Path.Combine(folder, "fine-tuned.reid");
        var config = new DrsaConfig { K = 2, D = 16, Frames = 2, Neck = true };
        using var original = FineTunedModel(config);
        ReidModelFile.Save(original, path);
        using var loaded = ReidModelFile.Load(path);
        loaded.Model.eval();
        using var stock = ReidModel.CreateDefault(config);

        var tail = original.Model.Trunk.named_parameters().Where(p => p.name.StartsWith("layer4.1.", StringComparison.Ordinal) || p.name.StartsWith("layer4.2.", StringComparison.Ordinal)).ToList();
        long tailHalfBytes = tail.Sum(p => p.parameter.numel()) * 2;
        Assert.That(new FileInfo(path).Length, Is.InRange(tailHalfBytes, tailHalfBytes * 1.2), "the two fine-tuned blocks in float16 and the head, not the stock trunk");
        var loadedState = loaded.Model.state_dict();
        var stockState = stock.Model.state_dict();
        var originalState = original.Model.state_dict();
        foreach (var (name, value) in originalState)
        {
            bool tuned = name.StartsWith("trunk.layer4.1.", StringComparison.Ordinal) || name.StartsWith("trunk.layer4.2.", StringComparison.Ordinal) || name.StartsWith("head.", StringComparison.Ordinal);
            Assert.That(loadedState[name].dtype, Is.EqualTo(value.dtype), name);
            if (tuned)
            {
                Assert.That(loadedState[name].allclose(value, rtol: 2e-3, atol: 1e-4), Is.True, $"{name} is the fine-tuned value within float16 precision");
            }
            else
            {
                Assert.That(loadedState[name].eq(stockState[name]).all().item<bool>(), Is.True, $"{name} is the stock value at full precision");
            }
        }
        var images = randn(new long[] { 2, 2, 3, 256, 128 }, generator: new Generator(9)) * 50;
        var a = Embed(original.Model, images);
        var b = Embed(loaded.Model, images);
        for (int i = 0; i < 2; i++)
        {
            double cosine = a.Skip(i * 128).Take(128).Zip(b.Skip(i * 128).Take(128), (x, y) => (double)x * y).Sum();
            Assert.That(cosine, Is.GreaterThan(0.999), "float16 storage must not change the embedding");
        }
        Assert.That(loaded.Description.FineTunedBlocks, Is.EqualTo(2));
    }

    [Test]
    public void Load_FineTunedFileWithAFlippedByte_SaysCorrupted()
    {
        TestData.IgnoreWithoutImageNetWeights();
        var path = Path.Combine(folder, "fine-tuned.reid");
        using (var model = FineTunedModel(new DrsaConfig { K = 2, D = 16, Frames = 2 })) ReidModelFile.Save(model, path);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<InvalidDataException>(() => ReidModelFile.Load(path));

        Assert.That(e!.Message, Does.Contain("checksum mismatch"));
    }

    [Test]
    public void Load_ForeignFile_SaysItIsNotAModelFile()
    {
        var path = Path.Combine(folder, "foreign.bin");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes("PK\u0003\u0004 this is a zip, not a model"));
        var e = Assert.Throws<InvalidDataException>(() => ReidModelFile.Load(path));
        Assert.That(e!.Message, Does.Contain("is not a reid model file"));
    }

    [Test]
    public void Load_TruncatedFile_SaysTruncated()
    {
        var path = Path.Combine(folder, "m.reid");
        using (var model = SmallRandomModel()) ReidModelFile.Save(model, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ReidModelFile.Load(path));
        Assert.That(e!.Message, Does.Contain("truncated"));
    }

    [Test]
    public void Load_FlippedByte_SaysCorrupted()
    {
        var path = Path.Combine(folder, "m.reid");
        using (var model = SmallRandomModel()) ReidModelFile.Save(model, path);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length - 100] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => ReidModelFile.Load(path));
        Assert.That(e!.Message, Does.Contain("checksum mismatch"));
    }

    [Test]
    public void Load_OtherConfiguredArchitecture_NamesEachDifference()
    {
        var path = Path.Combine(folder, "m.reid");
        using (var model = SmallRandomModel()) ReidModelFile.Save(model, path);
        var e = Assert.Throws<InvalidDataException>(() => ReidModelFile.Load(path, Small with { K = 6, Temporal = TemporalPooling.Max }));
        Assert.That(e!.Message, Does.Contain("K is 3 in the file, 6 configured"));
        Assert.That(e.Message, Does.Contain("Temporal is Attention in the file, Max configured"));
    }

    [Test]
    public void Load_DescriptionThatDoesNotFitTheWeights_SaysSo()
    {
        var path = Path.Combine(folder, "m.reid");
        using (var model = SmallRandomModel()) ReidModelFile.Save(model, path);
        // Rewrite the description (K 3 -> 4) and the checksum, as a careless tool might.
        var bytes = File.ReadAllBytes(path);
        int headerLength = BitConverter.ToInt32(bytes, 12);
        var header = Encoding.UTF8.GetString(bytes, 16, headerLength).Replace("\"k\": 3", "\"k\": 4", StringComparison.Ordinal);
        var newHeader = Encoding.UTF8.GetBytes(header);
        var rest = bytes[(16 + headerLength)..^32];
        var body = bytes[..12].Concat(BitConverter.GetBytes(newHeader.Length)).Concat(newHeader).Concat(rest).ToArray();
        File.WriteAllBytes(path, body.Concat(SHA256.HashData(body)).ToArray());

        var e = Assert.Throws<InvalidDataException>(() => ReidModelFile.Load(path));
        Assert.That(e!.Message, Does.Contain("do not fit the architecture"));
    }

    [Test]
    public void Load_MissingFile_NamesThePath()
    {
        var path = Path.Combine(folder, "absent.reid");
        var e = Assert.Throws<FileNotFoundException>(() => ReidModelFile.Load(path));
        Assert.That(e!.Message, Does.Contain(path));
    }

    [Test]
    public void ReadDescription_SavedFile_GivesTheDescriptionWithoutLoading()
    {
        var path = Path.Combine(folder, "m.reid");
        using (var model = SmallRandomModel()) ReidModelFile.Save(model, path);
        var description = ReidModelFile.ReadDescription(path);
        Assert.That(description.Format, Is.EqualTo(ReidModelDescription.FormatName));
        Assert.That(description.Architecture.K, Is.EqualTo(3));
        Assert.That(description.StockTrunk, Is.False);
    }
}
