using System.Text.Json;
using ReId.ReidEncoder;
using ReId.Trainer.Commands;

namespace ReId.Trainer.Tests;

/// <summary>The commands end to end on tiny data with the real ImageNet ResNet-18 trunk.</summary>
[NonParallelizable]
public class CommandTests
{
    private TinyData _data = null!;
    private StringWriter _out = null!;
    private StringWriter _error = null!;
    private TextWriter _savedOut = null!;
    private TextWriter _savedError = null!;

    [SetUp]
    public void SetUp()
    {
        if (!ImageNetResNet18.IsAvailable())
        {
            Assert.Ignore("The ImageNet ResNet-18 weights (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18) are not restored.");
        }

        _data = new TinyData();
        _savedOut = Console.Out;
        _savedError = Console.Error;
        _out = new StringWriter();
        _error = new StringWriter();
        Console.SetOut(_out);
        Console.SetError(_error);
    }

    [TearDown]
    public void TearDown()
    {
        Console.SetOut(_savedOut);
        Console.SetError(_savedError);
        _out?.Dispose();
        _error?.Dispose();
        _data?.Dispose();
    }

    private int Run(params string[] args) => Cli.Create().Parse(args).Invoke();

    [Test]
    public void Train_TinyCuhk03_WritesAModelTheEncoderLoadsWithMetricsInItsDescription()
    {
        string root = _data.Cuhk03(8, 2);
        string model = _data.Path("tiny.reid");

        int code = Run("train", "--data", root, "--layout", "cuhk03", "--validation-last", "3", "--epochs", "2",
            "--batch", "4", "--frames", "2", "--eval-frames", "2", "--cache", "none", "--device", "cpu", "--output", model);

        Assert.That(code, Is.Zero, _error.ToString());
        using var loaded = ReidModelFile.Load(model);
        Assert.That(loaded.ModelVersion, Does.Contain("cuhk03"));
        Assert.That(loaded.Description.StockTrunk, Is.True);
        Assert.That(loaded.Description.Training.Metrics.Keys, Is.SupersetOf(new[] { "rank1", "rank5", "mAP" }));
        Assert.That(loaded.Description.Training.Data, Does.Contain("last 3"));
        Assert.That(File.Exists(model + ".ckpt"), Is.False, "the checkpoint is removed once the model is written");
        string json = _out.ToString().Trim().Split('\n')[^1];
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.TryGetProperty("rank1", out _) && doc.RootElement.TryGetProperty("mAP", out _), Is.True);
        Assert.That(_out.ToString(), Does.Contain("epoch 2/2"));
    }

    [Test]
    public void Train_FineTuneThenContinueFromIt_KeepsTheFineTunedBlockAndKeysSeenFigures()
    {
        string root = _data.Cuhk03(8, 2);
        string first = _data.Path("fine-tuned.reid");
        string second = _data.Path("continued.reid");
        string[] common = ["--data", root, "--layout", "cuhk03", "--validation-last", "3", "--epochs", "1", "--batch", "4",
            "--frames", "2", "--eval-frames", "2", "--cache", "none", "--device", "cpu", "-d", "8"];

        int code = Run(["train", .. common, "--fine-tune", "1", "--optimizer", "adam", "--lr", "1e-3", "--triplet-weight", "1", "--bnneck", "--output", first]);
        Assert.That(code, Is.Zero, _error.ToString());
        code = Run(["train", .. common, "--init", first, "--train-on-validation", "--notes", "continued in a test", "--output", second]);
        Assert.That(code, Is.Zero, _error.ToString());

        var tuned = ReidModelFile.ReadDescription(first);
        Assert.That(tuned.FineTunedBlocks, Is.EqualTo(1));
        Assert.That(tuned.WeightPrecision, Is.EqualTo(ReidModelDescription.Float16));
        Assert.That(tuned.Architecture.Neck, Is.True);
        using var continued = ReidModelFile.Load(second);
        Assert.That(continued.Description.FineTunedBlocks, Is.EqualTo(1), "the block fine-tuned before stays in the file");
        Assert.That(continued.Description.Architecture, Is.EqualTo(tuned.Architecture));
        Assert.That(continued.Description.Training.Metrics.Keys, Does.Contain("seen.rank1").And.Not.Contain("rank1"));
        Assert.That(continued.Description.Training.Notes, Does.EndWith("continued in a test"));
        Assert.That(_out.ToString(), Does.Contain("starting from " + tuned.ModelVersion));
    }

    [Test]
    public void Eval_UntrainedModel_PrintsTableAndJsonLine()
    {
        string root = _data.Cuhk03(4, 2);

        int code = Run("eval", "--data", root, "--layout", "cuhk03", "--model", "untrained", "--cache", "none", "--device", "cpu");

        Assert.That(code, Is.Zero, _error.ToString());
        var lines = _out.ToString().Trim().Split('\n');
        Assert.That(lines, Has.Some.StartsWith("| drsa-"));
        using var doc = JsonDocument.Parse(lines[^1]);
        Assert.That(doc.RootElement.GetProperty("queries").GetInt32(), Is.EqualTo(8));
        Assert.That(doc.RootElement.GetProperty("rank1").GetDouble(), Is.InRange(0, 100));
    }

    [Test]
    public void Eval_ShippedDefaultModel_LoadsAndReportsItsVersion()
    {
        try
        {
            ShippedModel.Path();
        }
        catch (FileNotFoundException e)
        {
            Assert.Ignore(e.Message);
        }

        string root = _data.Cuhk03(3, 2);

        int code = Run("eval", "--data", root, "--layout", "cuhk03", "--model", "default", "--cache", "none", "--device", "cpu");

        Assert.That(code, Is.Zero, _error.ToString());
        using var doc = JsonDocument.Parse(_out.ToString().Trim().Split('\n')[^1]);
        Assert.That(doc.RootElement.GetProperty("model").GetString(), Does.Contain("cuhk03"));
    }

    [Test]
    public void Train_OneCameraDataset_RefusedWithClearMessage()
    {
        _data.Image("one/0001_00.jpg", 1);
        _data.Image("one/0002_01.jpg", 2);

        int code = Run("train", "--data", _data.Path("one"), "--layout", "cuhk03", "--validation-last", "1", "--cache", "none", "--device", "cpu",
            "--output", _data.Path("x.reid"));

        Assert.That(code, Is.EqualTo(2));
        Assert.That(_error.ToString(), Does.Contain("only one camera"));
    }

    [Test]
    public void Eval_UnknownLayout_ListsTheValidOnes()
    {
        int code = Run("eval", "--data", _data.Root, "--layout", "viper", "--model", "untrained", "--cache", "none", "--device", "cpu");

        Assert.That(code, Is.EqualTo(2));
        Assert.That(_error.ToString(), Does.Contain("viper").And.Contain("market1501"));
    }

    [Test]
    public void Eval_ModelFileThatIsNotOne_RefusedWithClearMessage()
    {
        string bogus = _data.Path("bogus.reid");
        File.WriteAllText(bogus, "not a model");

        int code = Run("eval", "--data", _data.Root, "--layout", "cuhk03", "--model", bogus, "--cache", "none", "--device", "cpu");

        Assert.That(code, Is.EqualTo(2));
        Assert.That(_error.ToString(), Does.Contain("not a reid model file"));
    }
}

[NonParallelizable]
public class AblationCommandTests
{
    [Test]
    public void Ablation_TwoVariantsOnTinyData_OneTableWithUntrainedAndEachVariantAndModelFiles()
    {
        if (!ImageNetResNet18.IsAvailable())
        {
            Assert.Ignore("The ImageNet ResNet-18 weights (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18) are not restored.");
        }

        using var data = new TinyData();
        string root = data.Cuhk03(6, 2);
        var saved = Console.Out;
        using var output = new StringWriter();
        Console.SetOut(output);
        int code;
        try
        {
            code = Cli.Create().Parse([
                "ablation", "--data", root, "--layout", "cuhk03", "--validation-last", "2", "--epochs", "1", "--batch", "4",
                "--frames", "2", "--eval-frames", "2", "--cache", "none", "--device", "cpu", "--variants", "Baseline,+TemAtn,+Ind",
                "-d", "8", "--models", data.Path("models"), "--ind-blocks", "1"]).Invoke();
        }
        finally
        {
            Console.SetOut(saved);
        }

        Assert.That(code, Is.Zero, output.ToString());
        var lines = output.ToString().Split('\n');
        Assert.That(lines, Has.One.StartsWith("| untrained default |"));
        Assert.That(lines, Has.One.StartsWith("| Baseline |"));
        Assert.That(lines, Has.One.StartsWith("| +TemAtn |"));
        Assert.That(File.Exists(data.Path("models", "tematn.reid")), Is.True, string.Join(", ", Directory.GetFiles(data.Path("models"))) + output);
        Assert.That(File.Exists(data.Path("models", "baseline.reid")), Is.True);
        Assert.That(lines, Has.One.StartsWith("| +Ind |"));
        var ind = ReidModelFile.ReadDescription(data.Path("models", "ind.reid"));
        Assert.That(ind.FineTunedBlocks, Is.EqualTo(1), "+Ind keeps its fine-tuned block");
        Assert.That(ReidModelFile.ReadDescription(data.Path("models", "tematn.reid")).FineTunedBlocks, Is.Zero, "the other rows train the head alone");
        using (var picture = OpenCvSharp.Cv2.ImRead(data.Path("models", "tematn-masks.png")))
        {
            Assert.That(picture.Empty(), Is.False, "a mask picture per variant with attention");
            Assert.That(picture.Width, Is.GreaterThan(picture.Height / 6), "a crop and its K masks side by side");
        }
    }

    [Test]
    public void FileName_Variants_AreDistinctAndPlain()
    {
        var names = Training.Variants.Names.Select(AblationCommand.FileName).ToList();

        Assert.That(names, Is.Unique);
        Assert.That(AblationCommand.FileName("SpaAtn+Q'"), Is.EqualTo("spaatn-q-prime.reid"));
    }
}
