using Google.Protobuf;
using Onnx;

namespace ReId.Detection.Tests;

public class DetectorTests
{
    private static DetectorOptions Yolox(string? path = null) => new() { Detector = "yolox", ModelPath = path ?? SharedData.YoloxModel };

    [Test]
    public void Create_UnknownName_ListsValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => DetectorRegistry.Create(new DetectorOptions { Detector = "ssd" }));
        Assert.That(e!.Message, Does.Contain("'ssd'").And.Contain("yolox").And.Contain("hog"));
    }

    [Test]
    public void Create_BadProvider_NamesKeyAndValue()
    {
        var e = Assert.Throws<ArgumentException>(() => DetectorRegistry.Create(new DetectorOptions { ExecutionProvider = "tpu" }));
        Assert.That(e!.Message, Does.Contain("Detection:ExecutionProvider").And.Contain("tpu"));
    }

    [Test]
    public void Create_AutoWithMissingModel_FallsBackToHogAndSaysSo()
    {
        using var detector = DetectorRegistry.Create(new DetectorOptions { Detector = "auto", ModelPath = "/nonexistent/yolox.onnx" });
        Assert.Multiple(() =>
        {
            Assert.That(detector.Name, Is.EqualTo("hog"));
            Assert.That(detector.Description, Does.Contain("fallback").And.Contain("/nonexistent/yolox.onnx"));
        });
    }

    [Test]
    public void Create_YoloxWithMissingModel_RefusesNamingKeyAndPath()
    {
        var e = Assert.Throws<ArgumentException>(() => DetectorRegistry.Create(Yolox("/nonexistent/yolox.onnx")));
        Assert.That(e!.Message, Does.Contain("Detection:ModelPath").And.Contain("/nonexistent/yolox.onnx"));
    }

    [Test]
    public void Create_CorruptModelFile_RefusesWithPath()
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "corrupt.onnx");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))]);
        var e = Assert.Throws<InvalidDataException>(() => DetectorRegistry.Create(Yolox(path)));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("could not be loaded"));
    }

    [Test]
    public void Create_ModelWithWrongShape_RefusesSayingExpectedAndFound()
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "identity.onnx");
        WriteIdentityModel(path, [1, 3, 64, 48]);

        var e = Assert.Throws<InvalidDataException>(() => DetectorRegistry.Create(Yolox(path)));

        Assert.That(e!.Message, Does.Contain("Expected").And.Contain("found input 'x' Single [1,3,64,48]"));
    }

    [Test]
    public void Create_CudaOnCpuBuildWithFallback_RunsOnCpuAndSaysWhy()
    {
        var options = Yolox();
        options.ExecutionProvider = "cuda";
        using var detector = DetectorRegistry.Create(options);
        if (detector.Description.Contains("cuda:", StringComparison.Ordinal))
        {
            Assert.Ignore("CUDA is available here; the fallback cannot be seen.");
        }

        Assert.That(detector.Description, Does.Contain("cpu (cuda asked for"));
    }

    [Test]
    public void Create_CudaMissingWithoutFallback_FailsNamingTheSetting()
    {
        var options = Yolox();
        options.ExecutionProvider = "cuda";
        options.FallBackToCpu = false;
        IPersonDetector? detector = null;
        try
        {
            detector = DetectorRegistry.Create(options);
            Assert.Ignore("CUDA is available here; the refusal cannot be seen.");
        }
        catch (InvalidOperationException e)
        {
            Assert.That(e.Message, Does.Contain("Detection:FallBackToCpu"));
        }
        finally
        {
            detector?.Dispose();
        }
    }

    [Test]
    public void Detect_VtestFrame_FindsSeveralPeopleInsideTheFrame()
    {
        using var detector = DetectorRegistry.Create(Yolox());
        var frame = TestImages.VideoFrame(SharedData.Vtest, 100);

        var people = detector.Detect([frame])[0].Where(d => d.Score >= 0.5f).ToList();

        TestContext.Out.WriteLine($"{detector.Description}: {people.Count} people >= 0.5: {string.Join(" ", people)}");
        Assert.That(people, Has.Count.GreaterThanOrEqualTo(3));
        Assert.That(people.All(p => p.Box.X >= 0 && p.Box.Right <= 768 && p.Box.Bottom <= 576 && p.Box.Height > p.Box.Width),
            Is.True, "boxes inside the frame and upright");
    }

    [Test]
    public void Detect_BatchOfMixedFrames_EqualsOneByOne()
    {
        var options = Yolox();
        options.BatchSize = 3;
        using var detector = DetectorRegistry.Create(options);
        var frames = new[] { TestImages.VideoFrame(SharedData.Vtest, 10), TestImages.Solid(320, 240, 0), TestImages.VideoFrame(SharedData.Vtest, 400) };

        var together = detector.Detect(frames);
        var single = frames.Select(f => detector.Detect([f])[0]).ToList();

        for (int i = 0; i < frames.Length; i++)
        {
            Assert.That(together[i].Count, Is.EqualTo(single[i].Count), $"frame {i}");
            for (int k = 0; k < single[i].Count; k++)
            {
                Assert.That(together[i][k].Box.X, Is.EqualTo(single[i][k].Box.X).Within(0.5f));
                Assert.That(together[i][k].Score, Is.EqualTo(single[i][k].Score).Within(1e-3f));
            }
        }
    }

    [Test]
    public void Detect_BlackAndTinyFrames_GiveEmptyResults()
    {
        using var detector = DetectorRegistry.Create(Yolox());
        var results = detector.Detect([TestImages.Solid(768, 576, 0), TestImages.Solid(3, 2, 128)]);
        Assert.That(results.Select(r => r.Count), Is.EqualTo(new[] { 0, 0 }));
    }

    [Test]
    public void Detect_EmptyImage_IsRejectedWithMessage()
    {
        using var detector = DetectorRegistry.Create(Yolox());
        var e = Assert.Throws<ArgumentException>(() => detector.Detect([default]));
        Assert.That(e!.Message, Does.Contain("empty"));
    }

    [Test]
    public void BgrImage_WrongLength_NamesSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => _ = new BgrImage(new byte[10], 4, 4));
        Assert.That(e!.Message, Does.Contain("4x4").And.Contain("48").And.Contain("10"));
    }

    [Test]
    public void Hog_UpscaledVtestFrame_FindsSomeoneInsideTheFrame()
    {
        using var detector = DetectorRegistry.Create(new DetectorOptions { Detector = "hog", MinScore = 0.5f });
        using var mat = new OpenCvSharp.Mat();
        using (var capture = new OpenCvSharp.VideoCapture(SharedData.Vtest))
        {
            capture.Set(OpenCvSharp.VideoCaptureProperties.PosFrames, 100);
            capture.Read(mat);
        }

        using var big = mat.Resize(new OpenCvSharp.Size(mat.Width * 2, mat.Height * 2));
        var frame = TestImages.FromMat(big);

        var people = detector.Detect([frame])[0];

        Assert.That(detector.Description, Does.StartWith("hog"));
        Assert.That(people, Is.Not.Empty);
        Assert.That(people.All(p => p.Box.Right <= frame.Width && p.Box.Bottom <= frame.Height), Is.True);
    }

    /// <summary>Writes a valid ONNX model (one Identity node) whose shape is not YOLOX's.</summary>
    private static void WriteIdentityModel(string path, long[] shape)
    {
        ValueInfoProto Value(string name)
        {
            var tensorShape = new TensorShapeProto();
            foreach (long d in shape)
            {
                tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            }

            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto
                {
                    TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape },
                },
            };
        }

        var model = new ModelProto
        {
            IrVersion = 8,
            Graph = new GraphProto { Name = "identity" },
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 13 });
        model.Graph.Node.Add(new NodeProto { OpType = "Identity", Input = { "x" }, Output = { "y" } });
        model.Graph.Input.Add(Value("x"));
        model.Graph.Output.Add(Value("y"));
        using var file = File.Create(path);
        model.WriteTo(file);
    }

    [Test]
    public void Detect_ThreeCamerasInOneBatchWithYolox_SameAsDetectingAlone()
    {
        using var detector = DetectorRegistry.Create(new DetectorOptions { ModelPath = SharedData.YoloxModel, BatchSize = 3 });
        var frames = new[] { 50, 300, 600 }.Select(i => TestImages.VideoFrame(SharedData.Vtest, i)).ToArray();
        var alone = frames.Select(f => detector.Detect([f])[0]).ToArray();

        var together = detector.Detect(frames);

        Assert.That(together, Has.Count.EqualTo(3));
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.That(together[i].Select(d => d.Box), Is.EqualTo(alone[i].Select(d => d.Box)), $"camera {i}");
        }
    }
}
