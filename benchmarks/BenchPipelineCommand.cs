using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ReId.Host.Configuration;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;
using ReId.Host.Commands;
using ReId.Tests;

namespace ReId.Benchmarks;

/// <summary>
/// <c>reid-bench pipeline</c>: a video served as N live RTSP cameras on loopback (GStreamer's RTSP server), run
/// through the whole pipeline for a while; prints per-camera rates, drops, latency and CPU, then one JSON line.
/// </summary>
internal static class BenchPipelineCommand
{
    private const int Width = 640;
    private const int Height = 360;
    private const double Fps = 25;

    public static Command Create()
    {
        var source = new Option<string>("--source") { Description = "The video file served by every camera.", Required = true };
        var cameras = new Option<int>("--cameras") { Description = "How many live cameras.", DefaultValueFactory = _ => 4 };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds (after a 5 s warm-up).", DefaultValueFactory = _ => 30 };
        var detectionFps = new Option<double>("--detection-fps") { Description = "Detection rate per camera.", DefaultValueFactory = _ => 8 };
        var detector = new Option<string>("--detector") { Description = "auto, yolox or hog.", DefaultValueFactory = _ => "auto" };
        var detectionThreads = new Option<int>("--detection-threads") { Description = "Detection:Threads (0: half the cores).", DefaultValueFactory = _ => new ReId.Detection.DetectorOptions().Threads };
        var encoderThreads = new Option<int>("--encoder-threads") { Description = "Encoder:CpuThreads (0: half the cores).", DefaultValueFactory = _ => new ReId.ReidEncoder.ReidEncoderOptions().CpuThreads };
        var flip = new Option<bool>("--flip-average") { Description = "Also embed the crops' mirror images (Encoder:FlipAverage; twice the encoder work)." };
        var pipeline = new Command("pipeline", "Serve a file as N live 640x360 25 fps RTSP cameras on loopback and measure the whole pipeline.");
        foreach (var o in new Option[] { source, cameras, seconds, detectionFps, detector, detectionThreads, encoderThreads, flip })
        {
            pipeline.Options.Add(o);
        }

        pipeline.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(source)!;
            var n = parse.GetValue(cameras);
            var s = parse.GetValue(seconds);
            if (!File.Exists(file) || n is < 1 or > 64 || s is < 1 or > 3600)
            {
                Console.Error.WriteLine($"reid bench: --source must be a file (got '{file}'), --cameras 1-64 (got {n}), --seconds 1-3600 (got {s})");
                return 2;
            }

            return await RunAsync(file, n, s, parse.GetValue(detectionFps), parse.GetValue(detector)!, parse.GetValue(flip),
                parse.GetValue(detectionThreads), parse.GetValue(encoderThreads), cancellationToken).ConfigureAwait(false);
        });
        return pipeline;
    }

    private static async Task<int> RunAsync(string source, int cameras, double seconds, double detectionFps, string detector, bool flipAverage,
        int detectionThreadCount, int encoderThreadCount, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("reid-bench-").FullName;
        try
        {
            // One H.264 file at the camera format, long enough for the run: the server then only re-packetises it.
            var video = Path.Combine(work, "camera.mp4");
            var length = seconds + 15;
            Console.WriteLine($"reid bench: preparing {length:0} s of {Width}x{Height} {Fps} fps H.264 from {source}");
            await ExternalProcess.RunAsync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", source,
                "-t", length.ToString(CultureInfo.InvariantCulture), "-vf", $"scale={Width}:{Height},fps={Fps}", "-an",
                "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p", video], cancellationToken).ConfigureAwait(false);

            await using var server = await RtspServer.StartAsync(video, cameras, cancellationToken).ConfigureAwait(false);
            var options = new ServiceSettings();
            for (var i = 0; i < cameras; i++)
            {
                options.Cameras.Add(new ReId.Ingest.CameraOptions
                {
                    Id = $"cam{i}", Url = $"rtsp://127.0.0.1:{server.Port}/cam{i}", Width = Width, Height = Height, Fps = Fps,
                });
            }

            options.Detection.Detector = detector;
            options.Detection.ModelPath = CommandSupport.YoloxModel();
            options.Pipeline.DetectionFpsPerCamera = detectionFps;
            options.Pipeline.DetectionBatchSize = Math.Min(cameras, 8);
            options.Search.Directory = Path.Combine(work, "data");
            options.Encoder.FlipAverage = flipAverage;
            options.Detection.Threads = detectionThreadCount;
            options.Encoder.CpuThreads = encoderThreadCount;
            ConfigurationLoader.Validate(options);

            using var loggerFactory = CommandSupport.CreateLoggerFactory(Microsoft.Extensions.Logging.LogLevel.Warning);
            await using var service = await ReidService.CreateAsync(options, loggerFactory, EncoderAdapter.Create).ConfigureAwait(false);
            Console.WriteLine($"reid bench: {cameras} camera(s) on rtsp://127.0.0.1:{server.Port}/cam0..; detector {service.DetectorDescription}; " +
                              $"encoder {service.Embedder.ModelVersion}; warm-up 5 s, then {seconds} s measured");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var run = service.RunPipelineAsync(stop.Token);
            var metrics = service.Pipeline.Metrics;
            // a fixed-length run: the time left is the clock's, not the frame rate's
            var ends = DateTime.UtcNow + TimeSpan.FromSeconds(5 + seconds);
            using var progress = new ProgressReporter("reid bench pipeline",
                () => PipelineProgress.Status(metrics, null) with { Left = TimeSpan.FromSeconds(Math.Max(0, (ends - DateTime.UtcNow).TotalSeconds)) });

            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            var before = Snapshot(service);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
            var elapsed = clock.Elapsed.TotalSeconds;
            var after = Snapshot(service);
            // Tracklets still waiting for the encoder: a backlog that grows means the encoder does not keep up.
            var backlog = metrics.Encoder.QueueDepth();
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / elapsed / Environment.ProcessorCount * 100;
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            var rows = new List<(string Id, double Fps, double DetectedFps, long Drops)>();
            foreach (var (id, a) in after)
            {
                var b = before[id];
                rows.Add((id, (a.Frames - b.Frames) / elapsed, (a.Detected - b.Detected) / elapsed, a.Drops - b.Drops));
            }

            var p50 = metrics.FrameToSighting.Quantile(0.5);
            var p95 = metrics.FrameToSighting.Quantile(0.95);
            foreach (var r in rows)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {r.Id}: ingest {r.Fps:0.0} fps, detection {r.DetectedFps:0.0} fps, {r.Drops} frames dropped"));
            }

            var minDetected = rows.Min(r => r.DetectedFps);
            var drops = rows.Sum(r => r.Drops);
            var frames = rows.Sum(r => r.Fps * elapsed);
            // Real time: every camera delivered its 25 fps, the detector kept its rate, and (almost) nothing was dropped.
            var realtime = rows.All(r => r.Fps >= Fps * 0.95 && r.DetectedFps >= detectionFps * 0.95) && drops <= frames * 0.01;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"reid bench: {metrics.Sightings.Values.Sum()} sightings; latency frame->stored sighting p50 {p50:0} ms, p95 {p95:0} ms; " +
                $"CPU {cpu:0} % of {Environment.ProcessorCount} cores (this process; each ffmpeg decoder adds ~2 % of a core); " +
                $"{backlog} tracklets waiting for the encoder; realtime {realtime}"));
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["cameras"] = cameras,
                ["realtime"] = realtime,
                ["fps_per_camera_min"] = Math.Round(minDetected, 2),
                ["ingest_fps_per_camera_min"] = Math.Round(rows.Min(r => r.Fps), 2),
                ["drops"] = drops,
                ["latency_p50_ms"] = double.IsNaN(p50) ? -1 : Math.Round(p50, 1),
                ["latency_p95_ms"] = double.IsNaN(p95) ? -1 : Math.Round(p95, 1),
                ["cpu_percent"] = Math.Round(cpu, 1),
                ["sightings"] = metrics.Sightings.Values.Sum(),
                ["encoder_backlog"] = backlog,
                ["seconds"] = Math.Round(elapsed, 1),
            }));
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static Dictionary<string, (long Frames, long Detected, long Drops)> Snapshot(ReidService service) =>
        service.Context.Cameras.ToDictionary(
            c => c.CameraId,
            c => (c.FramesDelivered, service.Pipeline.Metrics.DetectedFrames.GetValueOrDefault(c.CameraId),
                c.FramesDropped + service.Pipeline.Metrics.FrameDrops.GetValueOrDefault(c.CameraId)),
            StringComparer.Ordinal);
}
