using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using System.Threading.Channels;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using ReId.Detection;
using ReId.Host.Pipeline;

namespace ReId.Benchmarks;

/// <summary>
/// <c>reid-bench detect</c>: frames per second of the service's detection stage (the pipeline's
/// <see cref="DetectLoop{T}"/>: its queue, batching, letterbox, model, decode, NMS) against a raw ONNX Runtime loop over
/// the same model, batch and letterboxed inputs, in the same run.
/// </summary>
internal static class BenchDetectCommand
{
    internal const string DefaultVideo = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "YOLOX ONNX model file", Required = true };
        var batch = new Option<int>("--batch") { Description = "frames per batch (across cameras)", DefaultValueFactory = _ => 1 };
        var frames = new Option<int>("--frames") { Description = "frames to time in each loop", DefaultValueFactory = _ => 200 };
        var video = new Option<string>("--video") { Description = "video to take frames from", DefaultValueFactory = _ => DefaultVideo };
        var provider = new Option<string>("--provider") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        provider.AcceptOnlyFromAmong("cpu", "cuda");
        var command = new Command("detect", "Detection stage fps against a raw ONNX Runtime loop (ends with a JSON line).")
        {
            model, batch, frames, video, provider,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(model)!, parse.GetValue(batch), parse.GetValue(frames), parse.GetValue(video)!,
            parse.GetValue(provider)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        string modelPath, int batch, int frameCount, string videoPath, string provider, CancellationToken cancellationToken)
    {
        if (!File.Exists(modelPath))
        {
            await Console.Error.WriteLineAsync($"--model '{modelPath}' not found.").ConfigureAwait(false);
            return 2;
        }

        if (batch is < 1 or > 64 || frameCount < batch)
        {
            await Console.Error.WriteLineAsync($"--batch must be 1 to 64 and --frames at least --batch; got {batch} and {frameCount}.").ConfigureAwait(false);
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var options = new DetectorOptions
        {
            Detector = "yolox", ModelPath = modelPath, ExecutionProvider = provider, BatchSize = batch,
        };
        var images = DecodeFrames(videoPath, Math.Min(frameCount, 400));
        using var detector = DetectorRegistry.Create(options, loggerFactory);
        Console.WriteLine($"{detector.Description}; {images.Count} distinct frames of {Path.GetFileName(videoPath)} ({images[0].Width}x{images[0].Height}), batch {batch}");

        // The raw loop: same model and session settings, inputs letterboxed once, outputs into a reused buffer.
        var (sessionOptions, rawProvider) = YoloxDetector.CreateSessionOptions(options, loggerFactory.CreateLogger("bench"));
        using var session = new InferenceSession(modelPath, sessionOptions);
        sessionOptions.Dispose();
        var raw = new RawLoop(session, images, detector.MaxBatch);

        var stage = new StageLoop(detector, images, batch, new PipelineOptions().DetectionBatchWait);
        await stage.RunAsync(Math.Max(batch, 8), cancellationToken).ConfigureAwait(false);
        raw.Run(Math.Max(batch, 8));

        // Alternate short rounds of each so that load from other processes falls on both alike; the ratio reported
        // is the median of the rounds' ratios, which a burst of outside load in one round cannot swing.
        const int rounds = 8;
        double stageSeconds = 0, rawSeconds = 0;
        long allocated = 0;
        int perRound = Math.Max(batch, frameCount / rounds / batch * batch);
        var ratios = new List<double>(rounds);
        for (int round = 0; round < rounds; round++)
        {
            long before = GC.GetTotalAllocatedBytes(true);
            var clock = Stopwatch.StartNew();
            await stage.RunAsync(perRound, cancellationToken).ConfigureAwait(false);
            double s = clock.Elapsed.TotalSeconds;
            allocated += GC.GetTotalAllocatedBytes(true) - before;
            clock.Restart();
            raw.Run(perRound);
            double r = clock.Elapsed.TotalSeconds;
            stageSeconds += s;
            rawSeconds += r;
            ratios.Add(r / s);
        }

        ratios.Sort();
        double ratio = (ratios[(rounds / 2) - 1] + ratios[rounds / 2]) / 2;
        int timed = rounds * perRound;
        double fpsStage = timed / stageSeconds, fpsRaw = timed / rawSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stage {fpsStage:0.0} frames/s ({1000 / fpsStage:0.00} ms/frame), raw ONNX Runtime {fpsRaw:0.0} frames/s, ratio {ratio:0.000} (median of {rounds} paired rounds; {fpsStage / fpsRaw:0.000} overall), {allocated / timed} bytes allocated/frame in the stage, {stage.People / (double)stage.Frames:0.0} people/frame"));
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "detect",
            ["model"] = Path.GetFileName(modelPath),
            ["provider"] = rawProvider,
            ["batch"] = batch,
            ["model_batch"] = detector.MaxBatch,
            ["frames"] = timed,
            ["fps_stage"] = Math.Round(fpsStage, 2),
            ["fps_raw"] = Math.Round(fpsRaw, 2),
            ["ratio"] = Math.Round(ratio, 4),
            ["alloc_bytes_per_frame"] = allocated / timed,
        }));
        return 0;
    }

    /// <summary>Decodes up to <paramref name="count"/> frames as packed BGR24.</summary>
    internal static List<BgrImage> DecodeFrames(string videoPath, int count)
    {
        if (!File.Exists(videoPath))
        {
            throw new FileNotFoundException($"Video '{videoPath}' not found (install opencv-doc or pass --video).", videoPath);
        }

        using var capture = new VideoCapture(videoPath);
        using var mat = new Mat();
        var images = new List<BgrImage>();
        while (images.Count < count && capture.Read(mat) && !mat.Empty())
        {
            images.Add(BgrImage.FromMat(mat));
        }

        if (images.Count == 0)
        {
            throw new InvalidDataException($"Video '{videoPath}' gave no frames.");
        }

        return images;
    }

    /// <summary>The service's detect loop fed from memory as fast as it takes frames (a queue that waits, as for fast files).</summary>
    private sealed class StageLoop(IPersonDetector detector, List<BgrImage> images, int batch, TimeSpan batchWait)
    {
        private readonly DetectLoop<Frame> _loop = new(detector, batch, batchWait, f => f.Image);
        private int _next;

        public long Frames { get; private set; }

        public long People { get; private set; }

        public async Task RunAsync(int frames, CancellationToken cancellationToken)
        {
            var queue = Channel.CreateBounded<Frame>(new BoundedChannelOptions(2 * batch) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            var feed = Task.Run(async () =>
            {
                for (int i = 0; i < frames; i++)
                {
                    await queue.Writer.WriteAsync(new Frame(images[_next++ % images.Count]), cancellationToken).ConfigureAwait(false);
                }

                queue.Writer.Complete();
            }, cancellationToken);
            await _loop.RunAsync(queue.Reader, (_, found, _) =>
            {
                People += found.Count;
                Frames++;
                return ValueTask.CompletedTask;
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            await feed.ConfigureAwait(false);
        }

        /// <summary>A decoded frame held in memory for the whole run: nothing to return.</summary>
        internal sealed record Frame(BgrImage Image) : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }

    private sealed class RawLoop
    {
        private readonly InferenceSession _session;
        private readonly List<float[]> _inputs = [];
        private readonly float[] _output;
        private readonly string[] _inputNames;
        private readonly string[] _outputNames;
        private readonly int _modelBatch;
        private readonly int _size;
        private readonly int _anchors;
        private int _next;

        public RawLoop(InferenceSession session, List<BgrImage> images, int modelBatch)
        {
            _session = session;
            _modelBatch = modelBatch;
            _inputNames = [session.InputMetadata.Keys.First()];
            _outputNames = [session.OutputMetadata.Keys.First()];
            _size = session.InputMetadata.Values.First().Dimensions[2];
            _anchors = session.OutputMetadata.Values.First().Dimensions[1] is > 0 and var a ? a : 3549;
            int plane = 3 * _size * _size;

            // Inputs grouped as the stage groups them: modelBatch frames a run.
            for (int start = 0; start + modelBatch <= images.Count; start += modelBatch)
            {
                var input = new float[modelBatch * plane];
                for (int i = 0; i < modelBatch; i++)
                {
                    YoloxCodec.Letterbox(images[start + i], input.AsSpan(i * plane, plane), _size);
                }

                _inputs.Add(input);
            }

            _output = new float[modelBatch * _anchors * 85];
        }

        public void Run(int frames)
        {
            using var runOptions = new RunOptions();
            for (int done = 0; done < frames; done += _modelBatch)
            {
                var input = _inputs[_next++ % _inputs.Count];
                using var inValue = OrtValue.CreateTensorValueFromMemory(input, [_modelBatch, 3, _size, _size]);
                using var outValue = OrtValue.CreateTensorValueFromMemory(_output, [_modelBatch, _anchors, 85]);
                _session.Run(runOptions, _inputNames, [inValue], _outputNames, [outValue]);
            }
        }
    }
}
