using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ReId.Ingest;

namespace ReId.Benchmarks;

/// <summary>
/// <c>reid-bench ingest</c>: frames a second delivered to a consumer by N cameras on one source, against ffmpeg alone
/// decoding the same source the same way to a null sink, in the same run. Files are read as fast as possible and
/// looped, so both sides decode for the whole measured time.
/// </summary>
internal static class BenchIngestCommand
{
    public static Command Create()
    {
        var source = new Option<string>("--source")
        {
            Description = "rtsp:// URL or video file.",
            Required = true,
        };
        var cameras = new Option<int>("--cameras") { Description = "Cameras reading the source at once.", DefaultValueFactory = _ => 1 };
        var seconds = new Option<double>("--seconds") { Description = "Measured time of each side.", DefaultValueFactory = _ => 10 };
        var width = new Option<int>("--width") { Description = "Frame width.", DefaultValueFactory = _ => 640 };
        var height = new Option<int>("--height") { Description = "Frame height.", DefaultValueFactory = _ => 360 };
        var fps = new Option<double?>("--fps") { Description = "Output frame rate (default: the source's)." };
        var transport = new Option<RtspTransport>("--transport") { Description = "RTSP transport.", DefaultValueFactory = _ => RtspTransport.Tcp };
        var pace = new Option<FilePace>("--pace") { Description = "Files: fast (as fast as possible) or realtime.", DefaultValueFactory = _ => FilePace.Fast };
        var rounds = new Option<int>("--rounds")
        {
            Description = "Alternate raw and ingest this many times (each side --seconds a round) and take the medians: steadier on a busy machine.",
            DefaultValueFactory = _ => 3,
        };
        var command = new Command("ingest", "Camera ingest against raw ffmpeg decoding of the same source.")
        {
            source, cameras, seconds, width, height, fps, transport, pace, rounds,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var template = new CameraOptions
            {
                Url = parse.GetValue(source)!,
                Width = parse.GetValue(width),
                Height = parse.GetValue(height),
                Transport = parse.GetValue(transport),
                Pace = parse.GetValue(pace),
            };
            return RunAsync(template, parse.GetValue(fps), parse.GetValue(cameras), parse.GetValue(seconds), parse.GetValue(rounds), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(CameraOptions template, double? fps, int cameraCount, double seconds, int rounds, CancellationToken cancellationToken)
    {
        if (cameraCount is < 1 or > 256 || seconds is < 1 or > 3600 || rounds is < 1 or > 100)
        {
            await Console.Error.WriteLineAsync(
                $"bench ingest: --cameras {cameraCount} must be 1 to 256, --seconds {seconds} 1 to 3600, --rounds {rounds} 1 to 100.").ConfigureAwait(false);
            return 2;
        }

        var live = template.IsLive;
        var url = CameraUrl.Mask(template.Url);
        template.Id = "probe";
        template.Loop = !live;
        try
        {
            template.Validate();
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"bench ingest: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        var (video, probeError) = await DecodeBaseline.ProbeAsync(template, cancellationToken).ConfigureAwait(false);
        if (video is null)
        {
            await Console.Error.WriteLineAsync($"bench ingest: cannot read {url}: {probeError}").ConfigureAwait(false);
            return 1;
        }

        template.Fps = fps ?? video.Fps ?? 25;
        var duration = TimeSpan.FromSeconds(seconds);
        // A live stream first delivers in a burst what ffmpeg buffered while probing it; measure after it.
        var warmUp = live ? TimeSpan.FromSeconds(Math.Min(2, seconds / 4)) : TimeSpan.Zero;
        var mode = live ? $"live ({template.Transport.ToString().ToLowerInvariant()})" : $"file, {template.Pace.ToString().ToLowerInvariant()}, looped";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"source {url}: {video.Codec} {video.Width}x{video.Height} {video.Fps:0.##} fps; {mode}; " +
            $"{cameraCount} camera(s) -> {template.Width}x{template.Height} BGR24 at {template.Fps:0.##} fps; {seconds:0.#} s a side; {Environment.ProcessorCount} cores"));

        var rawRounds = new List<RawFigures>();
        var ingestRounds = new List<IngestFigures>();
        for (var round = 1; round <= rounds; round++)
        {
            // Raw: ffmpeg alone, same input and conversion, to a null sink.
            var raw = await Task.WhenAll(Enumerable.Range(0, cameraCount).Select(i =>
                DecodeBaseline.RunAsync(Copy(template, $"raw-{i + 1}"), duration, warmUp, cancellationToken))).ConfigureAwait(false);
            if (raw.FirstOrDefault(r => r.Error is not null) is { } failed)
            {
                await Console.Error.WriteLineAsync($"bench ingest: raw ffmpeg failed: {failed.Error}").ConfigureAwait(false);
                return 1;
            }

            // Both sides are measured once frames flow: connecting and probing (seconds for some RTSP servers) left out.
            var rawCpuSeconds = raw.Sum(r => r.SteadyCpu.TotalSeconds);
            var rawFigures = new RawFigures(raw.Sum(r => r.SteadyFps), raw.Sum(r => r.Frames),
                rawCpuSeconds / raw.Sum(r => r.SteadyElapsed.TotalSeconds),
                rawCpuSeconds > 0 ? raw.Sum(r => r.Frames - r.FirstFrames) / rawCpuSeconds : 0);
            rawRounds.Add(rawFigures);
            var ingestFigures = await MeasureIngestAsync(template, cameraCount, duration, warmUp, cancellationToken).ConfigureAwait(false);
            if (ingestFigures is null)
            {
                return 1;
            }

            ingestRounds.Add(ingestFigures);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: raw ffmpeg {rawFigures.Fps,8:0.0} frames/s ({rawFigures.Frames} frames) | ingest {ingestFigures.Fps,8:0.0} frames/s delivered " +
                $"({ingestFigures.Frames} frames, {ingestFigures.Drops} dropped, {ingestFigures.Reconnects} reconnects)"));
        }

        var fpsRaw = Median(rawRounds.Select(r => r.Fps));
        var rawCpu = Median(rawRounds.Select(r => r.CpuPerCamera));
        var ingest = ingestRounds.OrderBy(r => r.Fps).ElementAt(ingestRounds.Count / 2);
        var fpsDelivered = Median(ingestRounds.Select(r => r.Fps));
        var drops = ingestRounds.Sum(r => r.Drops);
        var reconnects = ingestRounds.Sum(r => r.Reconnects);
        var ratio = fpsRaw > 0 ? fpsDelivered / fpsRaw : 0;
        // Frames per CPU-second does not depend on what else the machine runs: the fair comparison on a busy machine.
        var rawEfficiency = Median(rawRounds.Select(r => r.FramesPerCpuSecond));
        var ingestEfficiency = Median(ingestRounds.Select(r => r.FramesPerCpuSecond));
        var ratioCpu = rawEfficiency > 0 ? ingestEfficiency / rawEfficiency : 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"raw ffmpeg:  {fpsRaw,9:0.0} frames/s (steady, median of {rounds}), ffmpeg CPU {100 * rawCpu:0.0} % of a core per camera"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingest:      {fpsDelivered,9:0.0} frames/s delivered (steady, median of {rounds}), {drops} dropped, {reconnects} reconnects in all rounds"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio:       {ratio,9:0.000} (delivered / raw); per CPU-second {ingestEfficiency:0} / {rawEfficiency:0} frames = {ratioCpu:0.000}; " +
            $"load average {LoadAverage()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU per camera (steady, {ingest.CpuWindow.TotalSeconds:0.0} s, median round): {100 * ingest.CpuPerCamera:0.0} % of a core " +
            $"(ffmpeg {100 * ingest.DecoderCpuPerCamera:0.0} %, this process {100 * ingest.HostCpuPerCamera:0.0} %); " +
            $"{ingest.AllocatedBytesPerFrame:0} bytes allocated per frame (steady); working set {Environment.WorkingSet / (1 << 20)} MiB"));

        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "ingest",
            ["source"] = url,
            ["live"] = live,
            ["cameras"] = cameraCount,
            ["seconds"] = seconds,
            ["width"] = template.Width,
            ["height"] = template.Height,
            ["fps_out"] = template.Fps,
            ["rounds"] = rounds,
            ["fps_delivered"] = Math.Round(fpsDelivered, 2),
            ["fps_raw"] = Math.Round(fpsRaw, 2),
            ["ratio"] = Math.Round(ratio, 4),
            ["frames_per_cpu_s_delivered"] = Math.Round(ingestEfficiency, 1),
            ["frames_per_cpu_s_raw"] = Math.Round(rawEfficiency, 1),
            ["ratio_cpu"] = Math.Round(ratioCpu, 4),
            ["drops"] = drops,
            ["reconnects"] = reconnects,
            ["cpu_per_camera_pct"] = Math.Round(100 * ingest.CpuPerCamera, 2),
            ["decoder_cpu_per_camera_pct"] = Math.Round(100 * ingest.DecoderCpuPerCamera, 2),
            ["host_cpu_per_camera_pct"] = Math.Round(100 * ingest.HostCpuPerCamera, 2),
            ["raw_cpu_per_camera_pct"] = Math.Round(100 * rawCpu, 2),
            ["alloc_bytes_per_frame"] = Math.Round(ingest.AllocatedBytesPerFrame),
            ["cores"] = Environment.ProcessorCount,
            ["load_average"] = LoadAverage(),
        });
        Console.WriteLine(json);
        return 0;
    }

    /// <summary>The 1-minute load average, to judge how busy the machine was; empty where /proc is absent.</summary>
    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed record RawFigures(double Fps, long Frames, double CpuPerCamera, double FramesPerCpuSecond);

    private sealed record IngestFigures(
        double Fps, long Frames, long Drops, int Reconnects, TimeSpan CpuWindow, double CpuPerCamera, double DecoderCpuPerCamera,
        double HostCpuPerCamera, double AllocatedBytesPerFrame, double FramesPerCpuSecond);

    /// <summary>Runs the cameras for the duration with consumers that take every frame at once.</summary>
    private static async Task<IngestFigures?> MeasureIngestAsync(CameraOptions template, int cameraCount, TimeSpan duration, TimeSpan warmUp,
        CancellationToken cancellationToken)
    {
        var cameras = Enumerable.Range(0, cameraCount).Select(i => new Camera(Copy(template, $"cam-{i + 1}"))).ToList();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var self = Process.GetCurrentProcess();
        var clock = Stopwatch.StartNew();
        var runs = cameras.Select(c => c.RunAsync(stop.Token)).ToList();
        var consumers = cameras.Select(c => ConsumeAsync(c.Frames)).ToList();
        try
        {
            // Measured once every camera streams, as the raw side: connecting and probing do not count.
            while (!cameras.All(c => c.Status.FramesDecoded > 0) && clock.Elapsed < duration)
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            var warmUpLeft = warmUp < duration - clock.Elapsed ? warmUp : TimeSpan.Zero;
            await Task.Delay(warmUpLeft, cancellationToken).ConfigureAwait(false);

            self.Refresh();
            var cpuStart = (Clock: clock.Elapsed, Host: self.TotalProcessorTime, Decoders: cameras.Sum(c => c.Status.DecoderCpu.TotalSeconds),
                Frames: cameras.Sum(c => c.Status.FramesDelivered), Allocated: GC.GetTotalAllocatedBytes(precise: true));
            var remaining = duration - clock.Elapsed;
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
            }

            var frames = cameras.Sum(c => c.Status.FramesDelivered);
            self.Refresh();
            var cpuEnd = (Clock: clock.Elapsed, Host: self.TotalProcessorTime, Decoders: cameras.Sum(c => c.Status.DecoderCpu.TotalSeconds),
                Frames: cameras.Sum(c => c.Status.FramesDelivered), Allocated: GC.GetTotalAllocatedBytes(precise: true));
            var statuses = cameras.Select(c => c.Status).ToList();
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(runs).ConfigureAwait(false);
            await Task.WhenAll(consumers).ConfigureAwait(false);

            if (frames == 0)
            {
                await Console.Error.WriteLineAsync($"bench ingest: no frames: {string.Join("; ", statuses.Select(s => $"{s.CameraId} {s.State} {s.LastError}"))}")
                    .ConfigureAwait(false);
                return null;
            }

            var window = cpuEnd.Clock - cpuStart.Clock;
            var decoderCpu = (cpuEnd.Decoders - cpuStart.Decoders) / window.TotalSeconds / cameraCount;
            var hostCpu = (cpuEnd.Host - cpuStart.Host).TotalSeconds / window.TotalSeconds / cameraCount;
            var cpuSeconds = (cpuEnd.Decoders - cpuStart.Decoders) + (cpuEnd.Host - cpuStart.Host).TotalSeconds;
            return new IngestFigures((cpuEnd.Frames - cpuStart.Frames) / window.TotalSeconds, frames, statuses.Sum(s => s.FramesDropped), statuses.Sum(s => s.Reconnects),
                window, decoderCpu + hostCpu, decoderCpu, hostCpu, (double)(cpuEnd.Allocated - cpuStart.Allocated) / Math.Max(1, cpuEnd.Frames - cpuStart.Frames),
                cpuSeconds > 0 ? (cpuEnd.Frames - cpuStart.Frames) / cpuSeconds : 0);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var camera in cameras)
            {
                await camera.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>An idle consumer: takes each frame as soon as it comes and lets it go.</summary>
    private static async Task ConsumeAsync(System.Threading.Channels.ChannelReader<VideoFrame> frames)
    {
        await foreach (var frame in frames.ReadAllAsync().ConfigureAwait(false))
        {
            frame.Dispose();
        }
    }

    private static CameraOptions Copy(CameraOptions template, string id) => new()
    {
        Id = id,
        Url = template.Url,
        Transport = template.Transport,
        Width = template.Width,
        Height = template.Height,
        Fps = template.Fps,
        Pace = template.Pace,
        Loop = template.Loop,
        QueueCapacity = template.QueueCapacity,
    };
}
