using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using ReId.Ingest;

namespace ReId.Host.Commands;

/// <summary><c>reid demo</c>: the main job on the sample video. For now: ingest it as fast as possible and report what came.</summary>
internal static class DemoCommand
{
    private const string DebianSample = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
    private const string SharedSample = "../shared/media/vtest.avi";

    public static Command Create()
    {
        var video = new Option<string?>("--video")
        {
            Description = $"Video file to ingest (default: {DebianSample}, else {SharedSample}).",
        };
        var cameras = new Option<int>("--cameras")
        {
            Description = "How many cameras read the video at once.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("demo", "Run the pipeline on the sample video and report what it got (now: camera ingest).")
        {
            video,
            cameras,
        };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(video), parse.GetValue(cameras), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? video, int cameraCount, CancellationToken cancellationToken)
    {
        video ??= File.Exists(DebianSample) ? DebianSample : SharedSample;
        if (!File.Exists(video))
        {
            await Console.Error.WriteLineAsync($"demo: no video at '{video}'. Install opencv-doc (./setup.sh) or pass --video PATH.").ConfigureAwait(false);
            return 2;
        }

        if (cameraCount is < 1 or > 64)
        {
            await Console.Error.WriteLineAsync($"demo: --cameras {cameraCount} must be 1 to 64.").ConfigureAwait(false);
            return 2;
        }

        var probe = new CameraOptions { Id = "probe", Url = video };
        var (source, probeError) = await DecodeBaseline.ProbeAsync(probe, cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            await Console.Error.WriteLineAsync($"demo: cannot read '{video}': {probeError}").ConfigureAwait(false);
            return 1;
        }

        var fps = source.Fps ?? 25;
        Console.WriteLine($"Source {video}: {source.Codec} {source.Width}x{source.Height} at {fps:0.##} fps");
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var clock = Stopwatch.StartNew();
        var runs = new List<(Camera Camera, Task<CameraStatus> Run, Task<Seen> Consume)>();
        try
        {
            for (var i = 0; i < cameraCount; i++)
            {
                var camera = new Camera(
                    new CameraOptions { Id = $"demo-{i + 1}", Url = video, FilePace = FilePace.Fast, Fps = fps, QueueCapacity = 32 },
                    loggers.CreateLogger<Camera>());
                runs.Add((camera, camera.RunAsync(cancellationToken), ConsumeAsync(camera)));
            }

            await Task.WhenAll(runs.Select(r => r.Run)).ConfigureAwait(false);
            var exit = 0;
            foreach (var (camera, _, consume) in runs)
            {
                var seen = await consume.ConfigureAwait(false);
                var status = camera.Status;
                var seconds = seen.Elapsed.TotalSeconds;
                var span = seen.Last - seen.First;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"camera {status.CameraId}: {status.State}, {seen.Frames} frames {seen.Width}x{seen.Height}, " +
                    $"{(seconds > 0 ? seen.Frames / seconds : 0):0.#} frames/s, {status.FramesDropped} dropped, " +
                    $"time span {seen.First:HH:mm:ss.f} to {seen.Last:HH:mm:ss.f} ({span.TotalSeconds:0.#} s of video)"));
                if (status.State != CameraState.Stopped || seen.Frames == 0)
                {
                    Console.WriteLine($"camera {status.CameraId}: {status.LastError ?? "no frames"}");
                    exit = 1;
                }
            }

            Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:0.0} s");
            return exit;
        }
        finally
        {
            foreach (var (camera, _, _) in runs)
            {
                await camera.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<Seen> ConsumeAsync(Camera camera)
    {
        var clock = Stopwatch.StartNew();
        var seen = new Seen();
        await foreach (var frame in camera.Frames.ReadAllAsync().ConfigureAwait(false))
        {
            using (frame)
            {
                if (seen.Frames++ == 0)
                {
                    seen.First = frame.CaptureTime;
                    seen.Width = frame.Width;
                    seen.Height = frame.Height;
                }

                seen.Last = frame.CaptureTime;
            }
        }

        seen.Elapsed = clock.Elapsed;
        return seen;
    }

    private sealed class Seen
    {
        public long Frames { get; set; }

        public int Width { get; set; }

        public int Height { get; set; }

        public DateTimeOffset First { get; set; }

        public DateTimeOffset Last { get; set; }

        public TimeSpan Elapsed { get; set; }
    }
}
