using System.Globalization;

namespace ReId.Ingest;

/// <summary>Builds ffmpeg command lines for a camera (pure; tested without running ffmpeg).</summary>
internal static class FfmpegArguments
{
    /// <summary>Socket I/O timeout for RTSP, microseconds: a dead server is noticed even before the stall watchdog.</summary>
    internal const int RtspTimeoutMicroseconds = 5_000_000;

    /// <summary>Decode the camera to raw BGR24 frames of the configured size and rate on stdout.</summary>
    /// <param name="options">The camera.</param>
    /// <param name="inputList">
    /// A file holding <see cref="InputList"/> for this camera: ffmpeg then reads the URL (and its password) from there
    /// through its concat demuxer, so the command line every local user can read (<c>ps</c>) holds no password.
    /// </param>
    public static IReadOnlyList<string> Decode(CameraOptions options, string? inputList = null) =>
        [.. inputList is null ? Input(options) : ListInput(inputList), .. Output(options), "-f", "rawvideo", "pipe:1"];

    /// <summary>
    /// An ffconcat list of the one RTSP input, with the options <see cref="Input"/> would give on the command line
    /// (ffconcat's <c>option</c> lines apply to opening the file).
    /// </summary>
    public static string InputList(CameraOptions options)
    {
        // ffconcat quotes with '...'; a quote inside is written '\''.
        var url = options.Url.Replace("'", @"'\''", StringComparison.Ordinal);
        return string.Join('\n',
            "ffconcat version 1.0",
            $"file '{url}'",
            $"option rtsp_transport {(options.Transport == RtspTransport.Udp ? "udp" : "tcp")}",
            $"option timeout {RtspTimeoutMicroseconds.ToString(CultureInfo.InvariantCulture)}",
            "");
    }

    private static List<string> ListInput(string inputList) =>
    [
        "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
        // -safe 0: the list names a URL, not a relative file; the whitelist lets the concat demuxer open RTSP.
        "-f", "concat", "-safe", "0", "-protocol_whitelist", "file,rtsp,rtsps,tcp,udp,rtp,tls,crypto",
        "-i", inputList,
    ];

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
