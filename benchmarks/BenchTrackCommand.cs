using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ReId.Detection;
using ReId.Tracking;

namespace ReId.Benchmarks;

/// <summary>
/// <c>reid-bench track</c>: the tracker's cost per frame with many people in view, association alone and with
/// crop sampling, on synthetic walkers with jittered detections (1920x1080 frame of noise).
/// </summary>
internal static class BenchTrackCommand
{
    public static Command Create()
    {
        var tracks = new Option<int>("--tracks") { Description = "people in view", DefaultValueFactory = _ => 50 };
        var frames = new Option<int>("--frames") { Description = "frames to time", DefaultValueFactory = _ => 2000 };
        var command = new Command("track", "Tracker cost per frame with many live tracks (ends with a JSON line).") { tracks, frames };
        command.SetAction(parse => Run(parse.GetValue(tracks), parse.GetValue(frames)));
        return command;
    }

    private static int Run(int people, int frames)
    {
        if (people is < 1 or > 1000 || frames < 10)
        {
            Console.Error.WriteLine($"--tracks must be 1 to 1000 and --frames at least 10; got {people} and {frames}.");
            return 2;
        }

        const int width = 1920, height = 1080;
        var script = Walkers(people, frames + 20, width, height);
        var pixels = new byte[width * height * 3];
        new Random(1).NextBytes(pixels);
        var frame = new BgrImage(pixels, width, height);

        var (plainMs, plainCpuMs, plainAlloc, live) = Time(script, default, frames);
        var (cropMs, cropCpuMs, cropAlloc, _) = Time(script, frame, frames);

        // CPU time is reported beside wall time: on a shared machine the wall clock also counts waiting for a core.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{people} walkers, {frames} frames: association {plainMs * 1000:0.0} us/frame wall, {plainCpuMs * 1000:0.0} us CPU ({plainAlloc} B/frame); " +
            $"with crop sampling {cropMs * 1000:0.0} us/frame wall, {cropCpuMs * 1000:0.0} us CPU ({cropAlloc} B/frame); {live:0.0} confirmed tracks/frame"));
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "track",
            ["tracks"] = people,
            ["frames"] = frames,
            ["live_tracks_mean"] = Math.Round(live, 1),
            ["ms_per_frame"] = Math.Round(plainMs, 4),
            ["ms_per_frame_with_crops"] = Math.Round(cropMs, 4),
            ["cpu_ms_per_frame"] = Math.Round(plainCpuMs, 4),
            ["cpu_ms_per_frame_with_crops"] = Math.Round(cropCpuMs, 4),
            ["alloc_bytes_per_frame"] = plainAlloc,
            ["alloc_bytes_per_frame_with_crops"] = cropAlloc,
        }));
        return 0;
    }

    private static (double MsPerFrame, double CpuMsPerFrame, long BytesPerFrame, double LiveTracks) Time(
        List<PersonDetection[]> script, BgrImage frame, int frames)
    {
        var tracker = TrackerRegistry.Create("bench", new TrackerOptions());
        var t0 = DateTimeOffset.UnixEpoch;

        // Warm up and let every track confirm before timing.
        for (int f = 0; f < 20; f++)
        {
            tracker.Update(frame, t0 + TimeSpan.FromMilliseconds(40 * f), script[f]);
        }

        long live = 0;
        long before = GC.GetTotalAllocatedBytes(true);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (int f = 20; f < 20 + frames; f++)
        {
            live += tracker.Update(frame, t0 + TimeSpan.FromMilliseconds(40 * f), script[f]).Tracks.Count;
        }

        clock.Stop();
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        long allocated = GC.GetTotalAllocatedBytes(true) - before;
        return (clock.Elapsed.TotalMilliseconds / frames, cpuMs / frames, allocated / frames, (double)live / frames);
    }

    /// <summary>People walking straight, bouncing off the frame edges; detections jitter by a pixel or two.</summary>
    private static List<PersonDetection[]> Walkers(int people, int frames, int width, int height)
    {
        var random = new Random(42);
        var state = Enumerable.Range(0, people).Select(_ =>
        {
            float h = 80 + (random.NextSingle() * 160);
            return (x: random.NextSingle() * (width - (h / 2)), y: random.NextSingle() * (height - h),
                vx: (random.NextSingle() - 0.5f) * 8, vy: (random.NextSingle() - 0.5f) * 4, w: h * 0.4f, h);
        }).ToArray();
        var script = new List<PersonDetection[]>(frames);
        for (int f = 0; f < frames; f++)
        {
            var detections = new PersonDetection[people];
            for (int i = 0; i < people; i++)
            {
                var s = state[i];
                if (s.x + s.vx < 0 || s.x + s.w + s.vx > width)
                {
                    s.vx = -s.vx;
                }

                if (s.y + s.vy < 0 || s.y + s.h + s.vy > height)
                {
                    s.vy = -s.vy;
                }

                s.x += s.vx;
                s.y += s.vy;
                state[i] = s;
                float jx = (random.NextSingle() - 0.5f) * 3, jy = (random.NextSingle() - 0.5f) * 3;
                detections[i] = new PersonDetection(new Box(s.x + jx, s.y + jy, s.w, s.h), 0.6f + (random.NextSingle() * 0.35f));
            }

            script.Add(detections);
        }

        return script;
    }
}
