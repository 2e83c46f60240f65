using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ReId.ReidEncoder;
using TorchSharp;
using static TorchSharp.torch;

namespace ReId.Benchmarks;

/// <summary>
/// <c>reid-bench encode</c>: tracklets and crops per second through the tracklet encoder (preprocessing, queue,
/// batching, trunk, DRSA head) against a raw TorchSharp loop over the trunk alone on the same inputs.
/// </summary>
internal static class BenchEncodeCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto", DefaultValueFactory = _ => "cpu" };
        var trunk = new Option<string>("--trunk") { Description = "resnet18 or resnet50", DefaultValueFactory = _ => "resnet18" };
        var batch = new Option<int>("--batch") { Description = "tracklets per batch", DefaultValueFactory = _ => 4 };
        var frames = new Option<int>("--frames") { Description = "frames per tracklet (N)", DefaultValueFactory = _ => 8 };
        var fp16 = new Option<bool>("--fp16") { Description = "half precision (CUDA only)" };
        var seconds = new Option<double>("--seconds") { Description = "measuring time of each phase", DefaultValueFactory = _ => 10 };
        var checkCpu = new Option<bool>("--check-cpu") { Description = "also compare the device's embeddings with the CPU's (cosine)", Hidden = true };
        var command = new Command("encode", "Measure the re-id encoder against the raw trunk; ends with one JSON line.")
        {
            device, trunk, batch, frames, fp16, seconds, checkCpu,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Settings(
                parse.GetValue(device)!, ParseTrunk(parse.GetValue(trunk)!), parse.GetValue(batch), parse.GetValue(frames),
                parse.GetValue(fp16), parse.GetValue(seconds), parse.GetValue(checkCpu));
            try
            {
                return await RunAsync(settings, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FileNotFoundException or DllNotFoundException or NotSupportedException or TypeInitializationException)
            {
                Console.Error.WriteLine($"bench encode: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private sealed record Settings(string Device, TrunkKind Trunk, int Batch, int Frames, bool Fp16, double Seconds, bool CheckCpu);

    private static TrunkKind ParseTrunk(string name) => name.ToLowerInvariant() switch
    {
        "resnet18" => TrunkKind.ResNet18,
        "resnet50" => TrunkKind.ResNet50,
        _ => throw new ArgumentException($"--trunk: '{name}' is not resnet18 or resnet50."),
    };

    private static async Task<int> RunAsync(Settings s, CancellationToken cancellationToken)
    {
        if (s.Batch < 1 || s.Frames < 1 || !(s.Seconds > 0)) throw new ArgumentException("--batch, --frames and --seconds must be positive.");
        var config = new DrsaConfig { Trunk = s.Trunk, Frames = s.Frames };
        bool imageNet = s.Trunk == TrunkKind.ResNet18 && ImageNetResNet18.IsAvailable();
        var info = TorchRuntime.Describe();
        Console.WriteLine($"TorchSharp {info.TorchSharpVersion}, cpu threads {info.Threads}, cuda {(info.CudaAvailable ? info.CudaDeviceCount + " device(s)" : "none")}");
        Console.WriteLine($"trunk {s.Trunk} ({(imageNet ? "ImageNet weights" : "seeded random weights")}), K {config.K}, D {config.D}, " +
                          $"batch {s.Batch} tracklets x {s.Frames} frames, {(s.Fp16 ? "fp16" : "fp32")}, device {s.Device}");

        // The same inputs for both phases: B tracklets of N distinct 128 x 256 crops, seeded.
        var random = new Random(42);
        var tracklets = Enumerable.Range(0, s.Batch).Select(_ => Enumerable.Range(0, s.Frames).Select(_ =>
        {
            var bytes = new byte[128 * 256 * 3];
            random.NextBytes(bytes);
            return new Crop(bytes, 128, 256);
        }).ToArray()).ToArray();

        var options = new ReidEncoderOptions
        {
            Device = s.Device,
            Fp16 = s.Fp16,
            MaxBatchTracklets = s.Batch,
            MaxBatchCrops = s.Batch * s.Frames,
            QueueCapacity = 4 * s.Batch,
        };
        var device = DeviceSelection.Resolve(s.Device);
        var dtype = s.Fp16 ? ScalarType.Float16 : ScalarType.Float32;
        var pixels = imageNet ? PixelNormalization.ImageNetResNet18 : PixelNormalization.Torchvision;
        using var raw = new RawTrunk(CreateModel(config, imageNet), device, dtype, tracklets, pixels);
        double encoderSeconds = 0, rawSeconds = 0;
        long encoded = 0, rawCrops = 0;
        long allocatedPerTracklet;
        long rssBefore, rssAfter;
        var workingSet = new List<long>();
        float[][] deviceEmbeddings;
        string deviceName;
        await using (var encoder = new TrackletEncoder(CreateModel(config, imageNet), options))
        {
            deviceName = encoder.Device;
            // Enough callers that full batches wait while the inference threads (two on CUDA) are busy.
            int callers = 4 * s.Batch;
            await EncodeForAsync(encoder, tracklets, callers, 0, cancellationToken).ConfigureAwait(false);
            await raw.RunForAsync(0).ConfigureAwait(false);
            rssBefore = Environment.WorkingSet;
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            // Alternate slices of both loops, so that both see the same machine load.
            for (int slice = 0; slice < Slices; slice++)
            {
                var clock = Stopwatch.StartNew();
                encoded += await EncodeForAsync(encoder, tracklets, callers, s.Seconds / Slices, cancellationToken).ConfigureAwait(false);
                encoderSeconds += clock.Elapsed.TotalSeconds;
                clock.Restart();
                rawCrops += await raw.RunForAsync(s.Seconds / Slices).ConfigureAwait(false);
                rawSeconds += clock.Elapsed.TotalSeconds;
                workingSet.Add(Environment.WorkingSet >> 20);
            }
            allocatedPerTracklet = (GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore) / Math.Max(1, encoded);
            rssAfter = Environment.WorkingSet;
            deviceEmbeddings = await Task.WhenAll(tracklets.Select(t => encoder.EncodeAsync(t, cancellationToken))).ConfigureAwait(false);
        }
        double trackletsPerSecond = encoded / encoderSeconds;
        double cropsPerSecond = trackletsPerSecond * s.Frames;
        double rawCropsPerSecond = rawCrops / rawSeconds;
        Console.WriteLine($"encoder: {trackletsPerSecond:F1} tracklets/s, {cropsPerSecond:F1} crops/s, {allocatedPerTracklet / 1024.0:F1} KiB managed allocation per tracklet, working set {rssBefore >> 20} -> {rssAfter >> 20} MiB");
        Console.WriteLine($"raw trunk: {rawCropsPerSecond:F1} crops/s");
        Console.WriteLine($"working set after each slice (MiB): {string.Join(", ", workingSet)} (pooled buffers and allocator caches fill during the first)");

        double? cosineMin = null;
        if (s.CheckCpu)
        {
            // The encoder owns (and disposes) the model it is given.
            await using var cpu = new TrackletEncoder(CreateModel(config, imageNet), options with { Device = "cpu", Fp16 = false });
            var cpuEmbeddings = await Task.WhenAll(tracklets.Select(t => cpu.EncodeAsync(t, cancellationToken))).ConfigureAwait(false);
            cosineMin = deviceEmbeddings.Zip(cpuEmbeddings, (a, b) => a.Zip(b, (x, y) => (double)x * y).Sum()).Min();
            Console.WriteLine($"{deviceName} vs cpu: lowest cosine over {tracklets.Length} tracklets {cosineMin:F6} (must exceed 0.999)");
        }

        double ratio = cropsPerSecond / rawCropsPerSecond;
        var result = new Dictionary<string, object?>
        {
            ["bench"] = "encode",
            ["device"] = deviceName,
            ["trunk"] = s.Trunk.ToString().ToLowerInvariant(),
            ["trunk_weights"] = imageNet ? "imagenet" : "random",
            ["precision"] = s.Fp16 ? "fp16" : "fp32",
            ["batch"] = s.Batch,
            ["frames"] = s.Frames,
            ["crops_per_s"] = Math.Round(cropsPerSecond, 1),
            ["tracklets_per_s"] = Math.Round(trackletsPerSecond, 2),
            ["raw_trunk_crops_per_s"] = Math.Round(rawCropsPerSecond, 1),
            ["ratio"] = Math.Round(ratio, 3),
            ["alloc_bytes_per_tracklet"] = allocatedPerTracklet,
            ["working_set_mib_before"] = rssBefore >> 20,
            ["working_set_mib_after"] = rssAfter >> 20,
            ["cpu_cosine_min"] = cosineMin is null ? null : Math.Round(cosineMin.Value, 6),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return cosineMin is < 0.999 ? 1 : 0;
    }

    /// <summary>Same weights every call: the ImageNet trunk or a seeded one, a head with seeded non-uniform attention.</summary>
    private static ReidModel CreateModel(DrsaConfig config, bool imageNet)
    {
        manual_seed(1234);
        var model = new DrsaModel(config, imageNet ? TrunkWeights.ImageNet : TrunkWeights.Random);
        using (no_grad())
        {
            // Away from the Baseline so that the attention paths are exercised as in a trained model.
            foreach (var (_, p) in model.Head.named_parameters()) p.normal_(0, 0.02);
        }
        return new ReidModel(model, new ReidModelDescription
        {
            ModelVersion = "bench",
            Architecture = config,
            TrunkWeights = imageNet ? ImageNetResNet18.WeightsId : ReidModelDescription.InFile,
            Pixels = imageNet ? PixelNormalization.ImageNetResNet18 : PixelNormalization.Torchvision,
        });
    }

    private const int Slices = 5;

    /// <summary>Callers each encode tracklet after tracklet until the time is up; returns the tracklets done.</summary>
    private static async Task<long> EncodeForAsync(TrackletEncoder encoder, Crop[][] tracklets, int callers, double seconds, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long done = 0;
        var workers = Enumerable.Range(0, callers).Select(i => Task.Run(async () =>
        {
            int k = i;
            do
            {
                await encoder.EncodeAsync(tracklets[k++ % tracklets.Length], cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref done);
            }
            while (clock.Elapsed.TotalSeconds < seconds);
        }, cancellationToken));
        await Task.WhenAll(workers).ConfigureAwait(false);
        return done;
    }

    /// <summary>
    /// The trunk alone (same weights, device and precision) on the same crops, already on the device, run on one
    /// long-lived thread as the encoder's model is: libtorch keeps per-thread state (CPU thread team, allocator
    /// arenas) for every thread that calls it.
    /// </summary>
    private sealed class RawTrunk : IDisposable
    {
        private readonly ReidModel model;
        private readonly ResNetTrunk trunk;
        private readonly Tensor input;
        private readonly System.Collections.Concurrent.BlockingCollection<(double Seconds, TaskCompletionSource<long> Done)> work = new();
        private readonly Thread thread;

        public RawTrunk(ReidModel model, Device device, ScalarType dtype, Crop[][] tracklets, PixelNormalization pixels)
        {
            this.model = model;
            trunk = model.Model.Trunk;
            trunk.eval();
            trunk.to(device, dtype);
            using var cpu = CropPreprocessor.ToTensor(tracklets.SelectMany(t => t).ToArray(), pixels);
            input = cpu.to(dtype, device);
            thread = new Thread(() =>
            {
                foreach (var (seconds, done) in work.GetConsumingEnumerable())
                {
                    try
                    {
                        done.SetResult(Loop(seconds));
                    }
                    catch (Exception e)
                    {
                        done.SetException(e);
                    }
                }
            })
            { IsBackground = true, Name = "raw-trunk" };
            thread.Start();
        }

        /// <summary>Runs batches until the time is up (at least one); returns the crops done.</summary>
        public async Task<long> RunForAsync(double seconds)
        {
            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            work.Add((seconds, done));
            return await done.Task.ConfigureAwait(false);
        }

        private long Loop(double seconds)
        {
            using var inference = inference_mode();
            long crops = 0;
            var clock = Stopwatch.StartNew();
            do
            {
                using var scope = NewDisposeScope();
                // Reading a value back waits for the device to finish, as the encoder's read-back does.
                _ = trunk.forward(input).sum().to(ScalarType.Float32).cpu().item<float>();
                crops += input.shape[0];
            }
            while (clock.Elapsed.TotalSeconds < seconds);
            return crops;
        }

        public void Dispose()
        {
            work.CompleteAdding();
            thread.Join();
            work.Dispose();
            input.Dispose();
            model.Dispose();
        }
    }
}
