using System.Globalization;

namespace ReId.Ingest;

/// <summary>Builds ffmpeg command lines for a camera (pure; tested without running ffmpeg).</summary>
internal static class FfmpegArguments
{
    /// <summary>Socket I/O timeout for RTSP, microseconds: a dead server is noticed even before the stall watchdog.</summary>
    internal const int RtspTimeoutMicroseconds = 5_000_000;

    /// <summary>Decode the camera to raw BGR24 frames of the configured size and rate on stdout.</summary>
    public static IReadOnlyList<string> Decode(CameraOptions options) =>
        [.. Input(options), .. Output(options), "-f", "rawvideo", "pipe:1"];

    /// <summary>
    /// The same decoding to a null sink, reporting progress on stdout: the raw baseline of the benchmark. The frames are
    /// packed into raw BGR24 packets as for a camera (rawvideo), so the difference is only the pipe and the reader.
    /// </summary>
    public static IReadOnlyList<string> DecodeToNull(CameraOptions options) =>
        [.. Input(options), .. Output(options), "-c:v", "rawvideo", "-f", "null", "-progress", "pipe:1", "-stats_period", "0.1", "-"];

    private static List<string> Input(CameraOptions options)
    {
        var args = new List<string> { "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info" };
        if (options.IsLive)
        {
            args.AddRange(["-rtsp_transport", options.Transport == RtspTransport.Udp ? "udp" : "tcp"]);
            args.AddRange(["-timeout", RtspTimeoutMicroseconds.ToString(CultureInfo.InvariantCulture)]);
        }
        else
        {
            if (options.Pace == FilePace.Realtime)
            {
                args.Add("-re");
            }

            if (options.Loop)
            {
                args.AddRange(["-stream_loop", "-1"]);
            }
        }

        args.AddRange(["-i", options.Url]);
        return args;
    }

    private static List<string> Output(CameraOptions options) =>
    [
        "-map", "0:v:0", "-an", "-sn", "-dn",
        "-s", $"{options.Width}x{options.Height}",
        "-r", options.Fps.ToString("0.###", CultureInfo.InvariantCulture),
        "-pix_fmt", "bgr24",
    ];
}
