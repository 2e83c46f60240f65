using System.Globalization;
using System.Text.RegularExpressions;

namespace ReId.Ingest;

/// <summary>What ffmpeg's messages say went wrong.</summary>
internal enum FfmpegProblem
{
    None,
    ConnectionRefused,
    HostNotFound,
    NotFound,
    Unauthorized,
    TimedOut,
    NoSuchFile,
    InvalidData,
    NotAVideo,
    Truncated,
    NoVideoStream,
    Other,
}


/// <summary>
/// Reads ffmpeg's stderr, one line at a time (pure: no process, tested on recorded output): the input video
/// stream, and the lines that say what failed. <see cref="Describe"/> turns them into one clear message.
/// </summary>
internal sealed partial class FfmpegLog
{
    private const int KeptLines = 20;
    private readonly Queue<string> _errors = new();
    private bool _inInput;

    /// <summary>The input's first video stream, once ffmpeg has opened it.</summary>
    public SourceVideo? InputVideo { get; private set; }

    /// <summary>The most telling problem seen so far.</summary>
    public FfmpegProblem Problem { get; private set; }

    /// <summary>ffmpeg opened its input (it described it).</summary>
    public bool OpenedInput { get; private set; }

    /// <summary>The line that showed <see cref="Problem"/>, password masked.</summary>
    public string? ProblemLine { get; private set; }

    /// <summary>Error-looking lines, last ones kept, passwords masked.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    public static FfmpegLog Parse(IEnumerable<string> lines)
    {
        var log = new FfmpegLog();
        foreach (var line in lines)
        {
            log.Add(line);
        }

        return log;
    }

    public void Add(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.StartsWith("Input #", StringComparison.Ordinal))
        {
            _inInput = true;
            OpenedInput = true;
            return;
        }

        if (line.StartsWith("Output #", StringComparison.Ordinal) || line.StartsWith("Stream mapping", StringComparison.Ordinal))
        {
            _inInput = false;
            return;
        }

        if (_inInput && InputVideo is null && ParseVideoStream(line) is { } stream)
        {
            InputVideo = stream;
            return;
        }

        var problem = Classify(line);
        if (problem == FfmpegProblem.None)
        {
            return;
        }

        var masked = CameraUrl.MaskAll(line.Trim());
        _errors.Enqueue(masked);
        if (_errors.Count > KeptLines)
        {
            _errors.Dequeue();
        }

        // A specific cause beats a generic one; between equals, the first seen is the cause.
        if (Rank(problem) > Rank(Problem))
        {
            Problem = problem;
            ProblemLine = masked;
        }
    }

    /// <summary>How telling a problem is: "Invalid data" follows most failures, so it only counts when nothing better was said.</summary>
    private static int Rank(FfmpegProblem problem) => problem switch
    {
        FfmpegProblem.None => 0,
        FfmpegProblem.Other => 1,
        FfmpegProblem.InvalidData => 2,
        FfmpegProblem.Truncated or FfmpegProblem.NoVideoStream => 3,
        FfmpegProblem.NotAVideo => 4,
        _ => 5,
    };

    /// <summary>Parses a line such as <c>Stream #0:0: Video: h264 (High), yuv420p(progressive), 640x360 [SAR 1:1 DAR 16:9], 25 fps, 25 tbr, 90k tbn</c>.</summary>
    public static SourceVideo? ParseVideoStream(string line)
    {
        var match = VideoStreamLine().Match(line);
        if (!match.Success)
        {
            return null;
        }

        var size = VideoSize().Match(line, match.Index + match.Length);
        if (!size.Success)
        {
            return null;
        }

        double? fps = null;
        var rate = FrameRate().Match(line);
        if (rate.Success && double.TryParse(rate.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            fps = value;
        }

        return new SourceVideo(
            match.Groups[1].Value,
            int.Parse(size.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(size.Groups[2].Value, CultureInfo.InvariantCulture),
            fps);
    }

    /// <summary>What a single line of ffmpeg's stderr says went wrong, if anything.</summary>
    public static FfmpegProblem Classify(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Contains("Connection refused", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.ConnectionRefused;
        }

        if (line.Contains("Failed to resolve hostname", StringComparison.OrdinalIgnoreCase) ||
            line.Contains("Name or service not known", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.HostNotFound;
        }

        if (line.Contains("404 Not Found", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.NotFound;
        }

        if (line.Contains("401 Unauthorized", StringComparison.OrdinalIgnoreCase) ||
            line.Contains("403 Forbidden", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.Unauthorized;
        }

        if (line.Contains("timed out", StringComparison.OrdinalIgnoreCase) ||
            line.Contains("No route to host", StringComparison.OrdinalIgnoreCase) ||
            line.Contains("Network is unreachable", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.TimedOut;
        }

        if (line.Contains("No such file or directory", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.NoSuchFile;
        }

        // ffmpeg guessed a format from the name alone: the content is not a video (ahead of "moov atom not found").
        if (line.Contains("misdetection possible", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.NotAVideo;
        }

        if (line.Contains("moov atom not found", StringComparison.OrdinalIgnoreCase) ||
            line.Contains("partial file", StringComparison.OrdinalIgnoreCase) ||
            line.Contains("corrupt decoded frame", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.Truncated;
        }

        if (line.Contains("Invalid data found when processing input", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.InvalidData;
        }

        if (line.Contains("matches no streams", StringComparison.OrdinalIgnoreCase) ||
            line.Contains("does not contain any stream", StringComparison.OrdinalIgnoreCase))
        {
            return FfmpegProblem.NoVideoStream;
        }

        return line.Contains("Error", StringComparison.Ordinal) || line.Contains("error", StringComparison.Ordinal) ||
               line.Contains("failed", StringComparison.OrdinalIgnoreCase) || line.Contains("Invalid", StringComparison.Ordinal)
            ? FfmpegProblem.Other
            : FfmpegProblem.None;
    }

    /// <summary>
    /// One message for a decoder run that ended: null when a file simply played to its end.
    /// </summary>
    /// <param name="exitCode">ffmpeg's exit code.</param>
    /// <param name="frames">Whole frames read in this run.</param>
    /// <param name="live">An RTSP camera (whose stream should never end) rather than a file.</param>
    /// <param name="elapsed">How long ffmpeg ran: a live input it never opened with "invalid data" only after its
    /// socket timeout is a server that took the connection and never answered.</param>
    public string? Describe(int exitCode, long frames, bool live, TimeSpan? elapsed = null)
    {
        if (live && frames == 0 && !OpenedInput && Problem == FfmpegProblem.InvalidData &&
            elapsed >= TimeSpan.FromMicroseconds(FfmpegArguments.RtspTimeoutMicroseconds) * 0.9)
        {
            return $"no answer from the camera (timed out): the connection was accepted but nothing answered for " +
                $"{FfmpegArguments.RtspTimeoutMicroseconds / 1_000_000} s";
        }

        // ffmpeg's last line names the input and the outcome; for a misdetected format it is clearer than the cause line.
        var detail = Problem == FfmpegProblem.NotAVideo ? _errors.LastOrDefault() : ProblemLine ?? _errors.LastOrDefault();
        var cause = Problem switch
        {
            FfmpegProblem.ConnectionRefused => "connection refused (nothing listens at that host and port)",
            FfmpegProblem.HostNotFound => "host name not found",
            FfmpegProblem.NotFound => "the server has no stream at that path (404 Not Found)",
            FfmpegProblem.Unauthorized => "the server refused the credentials (401/403)",
            FfmpegProblem.TimedOut => "no answer from the camera (timed out)",
            FfmpegProblem.NoSuchFile => "no such file",
            FfmpegProblem.InvalidData or FfmpegProblem.NotAVideo => "not a video ffmpeg can read (invalid data)",
            FfmpegProblem.Truncated => frames > 0 ? $"the video is truncated or damaged (after {frames} frames)" : "the video is truncated or damaged",
            FfmpegProblem.NoVideoStream => "no video stream in the source",
            _ => null,
        };

        if (exitCode == 0 && !live && frames > 0 && Problem is FfmpegProblem.None or FfmpegProblem.Other)
        {
            return null;
        }

        cause ??= exitCode != 0
            ? $"ffmpeg failed (exit code {exitCode})"
            : live
                ? (frames > 0 ? "the stream ended" : "the stream ended before any frame")
                : "no video frame could be decoded";
        return detail is null || detail.Length == 0 ? cause : $"{cause}: {detail}";
    }

    [GeneratedRegex(@"Stream #\d+:\d+.*?: Video: ([A-Za-z0-9_]+)")]
    private static partial Regex VideoStreamLine();

    [GeneratedRegex(@"\b(\d{2,5})x(\d{2,5})\b")]
    private static partial Regex VideoSize();

    [GeneratedRegex(@"([\d.]+) fps\b")]
    private static partial Regex FrameRate();
}
