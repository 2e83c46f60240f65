using System.Globalization;
using ReId.Ingest;

namespace ReId.Host.Commands;

/// <summary>
/// Two views made from one sample video: camera A is the video itself; camera B is a changed copy (mirrored, another
/// colour balance and size) whose recording starts <see cref="Offset"/> later, so every person of A reappears in B.
/// </summary>
internal static class SampleCameras
{
    public static readonly TimeSpan Offset = TimeSpan.FromSeconds(20);
    public const int BWidth = 640;
    public const int BHeight = 480;

    /// <summary>The ffmpeg filter that makes camera B: mirror, resize, warmer and brighter.</summary>
    public const string ChangeFilter = "hflip,scale=640:480,colorbalance=rs=0.15:gs=0.03:bs=-0.15,eq=brightness=0.04:saturation=1.2";

    /// <summary>Writes the changed copy of <paramref name="source"/> (its first <paramref name="seconds"/> when given) as H.264.</summary>
    public static async Task MakeChangedCopyAsync(string source, string output, double? seconds, CancellationToken cancellationToken = default)
    {
        var args = new List<string> { "-hide_banner", "-loglevel", "error", "-y", "-i", source };
        if (seconds is { } s)
        {
            args.AddRange(["-t", s.ToString(CultureInfo.InvariantCulture)]);
        }

        args.AddRange(["-vf", ChangeFilter, "-an", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-pix_fmt", "yuv420p", output]);
        await RunFfmpegAsync(args, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the first <paramref name="seconds"/> of <paramref name="source"/> unchanged in content.</summary>
    public static async Task TrimAsync(string source, string output, double seconds, CancellationToken cancellationToken = default) =>
        await RunFfmpegAsync(["-hide_banner", "-loglevel", "error", "-y", "-i", source, "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-an", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p", output], cancellationToken).ConfigureAwait(false);

    /// <summary>Camera sections for A (the source) and B (the changed copy, <see cref="Offset"/> later).</summary>
    public static List<CameraOptions> Sections(string a, string b, DateTimeOffset start, int width, int height, double fps) =>
    [
        new() { Id = "plaza-a", Url = a, Width = width, Height = height, Fps = fps, Pace = FilePace.Realtime, StartTime = start, QueueCapacity = 16 },
        new() { Id = "plaza-b", Url = b, Width = BWidth, Height = BHeight, Fps = fps, Pace = FilePace.Realtime, StartTime = start + Offset, QueueCapacity = 16 },
    ];

    private static Task RunFfmpegAsync(IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        ExternalProcess.RunAsync("ffmpeg", args, cancellationToken);
}
