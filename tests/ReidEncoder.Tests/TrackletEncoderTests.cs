using static TorchSharp.torch;

namespace ReId.ReidEncoder.Tests;

public class TrackletEncoderTests
{
    private static readonly DrsaConfig Small = new() { K = 2, D = 8, Frames = 4, InputHeight = 64, InputWidth = 32 };

    private static ReidModel SmallRandomModel()
    {
        manual_seed(17);
        var model = new DrsaModel(Small, TrunkWeights.Random);
        using (no_grad())
        {
            foreach (var (_, p) in model.Head.named_parameters()) p.normal_(0, 0.05);
        }
        return new ReidModel(model, new ReidModelDescription { ModelVersion = "test-small", Architecture = Small });
    }

    private static Crop RandomCrop(Random random, int width, int height)
    {
        var bytes = new byte[width * height * 3];
        random.NextBytes(bytes);
        return new Crop(bytes, width, height);
    }

    [TestCase(1)]
    [TestCase(2)]
    public async Task EncodeAsync_ConcurrentTracklets_MatchTheModelRunOnEachAlone(int threads)
    {
        var random = new Random(1);
        var tracklets = new[] { 1, 3, 4, 9 }.Select(n => Enumerable.Range(0, n).Select(_ => RandomCrop(random, 40, 70)).ToArray()).ToArray();
        float[][] expected;
        await using (var encoder = new TrackletEncoder(SmallRandomModel(), new ReidEncoderOptions { Device = "cpu", MaxBatchCrops = 8, InferenceThreads = threads }))
        {
            var actual = await Task.WhenAll(tracklets.Select(t => encoder.EncodeAsync(t))).ConfigureAwait(false);

            using var reference = SmallRandomModel();
            reference.Model.eval();
            expected = tracklets.Select(t =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var picked = FrameSampling.Sample(t.Length, Small.Frames).Select(i => t[i]).ToArray();
                var images = CropPreprocessor.ToTensor(picked, PixelNormalization.ImageNetResNet18, 64, 32).unsqueeze(0);
                using var output = reference.Model.forward(images);
                return output.Embedding.data<float>().ToArray();
            }).ToArray();

            for (int i = 0; i < tracklets.Length; i++)
            {
                Assert.That(actual[i], Has.Length.EqualTo(128));
                Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-4f), $"tracklet {i} of {tracklets[i].Length} crops");
            }
            Assert.That(encoder.Batches, Is.GreaterThan(1), "MaxBatchCrops 8 must split the 4 tracklets");
        }
    }

    [Test]
    public async Task EncodeAsync_ManyBatches_KeepsTheLiveTensorCountFlat()
    {
        var random = new Random(2);
        var crops = Enumerable.Range(0, 6).Select(_ => RandomCrop(random, 32, 64)).ToArray();
        await using var encoder = new TrackletEncoder(SmallRandomModel(), new ReidEncoderOptions { Device = "cpu", MaxBatchTracklets = 4 });
        for (int i = 0; i < 5; i++) await encoder.EncodeAsync(crops).ConfigureAwait(false);
        // The count is process-wide: let other tests' unreferenced tensors be finalised first.
        Settle();
        long before = Tensor.TotalCount;
        for (int round = 0; round < 40; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 6).Select(k => encoder.EncodeAsync(crops[..(k + 1)]))).ConfigureAwait(false);
        }
        Settle();
        long after = Tensor.TotalCount;
        Assert.That(encoder.Batches, Is.GreaterThan(40));
        Assert.That(after, Is.EqualTo(before), "tensors leaked across batches");
    }

    private static void Settle()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [Test]
    public async Task EncodeImageAsync_Png_EmbedsLikeItsDecodedCrop()
    {
        await using var encoder = new TrackletEncoder(SmallRandomModel(), new ReidEncoderOptions { Device = "cpu" });
        var crop = RandomCrop(new Random(8), 30, 60);
        using var mat = OpenCvSharp.Mat.FromPixelData(60, 30, OpenCvSharp.MatType.CV_8UC3, crop.Bgr.ToArray());
        var fromImage = await encoder.EncodeImageAsync(mat.ImEncode(".png")).ConfigureAwait(false);
        var fromCrop = await encoder.EncodeAsync([crop]).ConfigureAwait(false);
        Assert.That(fromImage, Is.EqualTo(fromCrop).Within(1e-6f));
    }

    [Test]
    public async Task EncodeAsync_AfterDispose_Throws()
    {
        var encoder = new TrackletEncoder(SmallRandomModel(), new ReidEncoderOptions { Device = "cpu" });
        await encoder.DisposeAsync().ConfigureAwait(false);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => encoder.EncodeAsync([RandomCrop(new Random(3), 32, 64)])).ConfigureAwait(false);
    }

    [Test]
    public async Task EncodeAsync_BadCrop_ThrowsNamingTheSizes()
    {
        await using var encoder = new TrackletEncoder(SmallRandomModel(), new ReidEncoderOptions { Device = "cpu" });
        var e = await Assert.ThrowsAsync<ArgumentException>(() => encoder.EncodeAsync([new Crop(new byte[100], 32, 64)])).ConfigureAwait(false);
        Assert.That(e!.Message, Does.Contain("32x64 needs 6144 BGR24 bytes, got 100"));
    }

    [Test]
    public void Create_CudaWhereThereIsNone_SaysSoClearly()
    {
        if (cuda.is_available()) Assert.Ignore("this machine has CUDA");
        var e = Assert.Throws<InvalidOperationException>(() => new TrackletEncoder(SmallRandomModel(), new ReidEncoderOptions { Device = "cuda" }));
        Assert.That(e!.Message, Does.Contain("no CUDA device"));
    }

    [Test]
    public void Create_Fp16OnCpu_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new TrackletEncoder(SmallRandomModel(), new ReidEncoderOptions { Device = "cpu", Fp16 = true }));
        Assert.That(e!.Message, Does.Contain("Encoder:Fp16"));
    }

    [Test]
    public void Create_UnknownDevice_NamesTheKey()
    {
        var e = Assert.Throws<ArgumentException>(() => new ReidEncoderOptions { Device = "gpu" }.Validate());
        Assert.That(e!.Message, Does.Contain("Encoder:Device: 'gpu'"));
    }

    [Test]
    public void Resolve_Auto_GivesCpuWithoutCuda()
    {
        if (cuda.is_available()) Assert.Ignore("this machine has CUDA");
        Assert.That(DeviceSelection.Resolve("auto").type, Is.EqualTo(TorchSharp.DeviceType.CPU));
    }
}
