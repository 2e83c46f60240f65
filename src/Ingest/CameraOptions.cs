namespace ReId.Ingest;

/// <summary>How an RTSP camera's media travels: interleaved in the RTSP TCP connection, or as RTP over UDP.</summary>
public enum RtspTransport
{
    /// <summary>RTP interleaved in the RTSP connection: passes firewalls and NAT, no packet loss.</summary>
    Tcp,

    /// <summary>RTP over UDP: lowest latency, may lose packets.</summary>
    Udp,
}

/// <summary>How fast a video file is read.</summary>
public enum FilePace
{
    /// <summary>At the file's own frame rate, as a live camera would deliver it.</summary>
    Realtime,

    /// <summary>As fast as decoding allows (processing recorded footage).</summary>
    Fast,
}

/// <summary>What a camera does with a new frame when its queue is full.</summary>
public enum QueueFullMode
{
    /// <summary>Drop the oldest queued frame (counted): a live camera never waits for a slow consumer.</summary>
    DropOldest,

    /// <summary>Wait until the consumer takes a frame (back-pressure): recorded footage is processed without
    /// losing a frame, as fast as the consumer goes. Files read at <see cref="FilePace.Fast"/> pace only.</summary>
    Wait,
}

/// <summary>
/// One camera: an <c>rtsp://</c> URL (credentials may be in it) or a local video file, decoded to BGR24 frames
/// of <see cref="Width"/> x <see cref="Height"/> at <see cref="Fps"/> frames a second. One entry of the service's
/// <c>Cameras</c> list (bound by <see cref="IngestServiceCollectionExtensions.AddIngest"/>); <see cref="Validate()"/>
/// checks it.
/// </summary>
public sealed class CameraOptions
{
    /// <summary>The longest camera id.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Camera id, carried by every frame. 1-64 letters, digits, '-', '_' and '.'.</summary>
    public string Id { get; set; } = "";

    /// <summary><c>rtsp://[user:password@]host[:port]/path</c>, or a local video file path.</summary>
    public string Url { get; set; } = "";

    /// <summary>RTSP transport (RTSP cameras only).</summary>
    public RtspTransport Transport { get; set; } = RtspTransport.Tcp;

    /// <summary>Frame width in pixels after scaling.</summary>
    public int Width { get; set; } = 640;

    /// <summary>Frame height in pixels after scaling.</summary>
    public int Height { get; set; } = 360;

    /// <summary>Frames a second delivered (ffmpeg drops or repeats source frames to meet it).</summary>
    public double Fps { get; set; } = 25;

    /// <summary>Files only: play at the file's own pace or as fast as possible.</summary>
    public FilePace Pace { get; set; } = FilePace.Realtime;

    /// <summary>Files only: play the file again and again, like a camera that never ends.</summary>
    public bool Loop { get; set; }

    /// <summary>Files only: when the recording started; frame times are this plus the stream time.
    /// Without it, the time the file was opened is used.</summary>
    public DateTimeOffset? StartTime { get; set; }

    /// <summary>Frames held for a slow consumer; beyond this the oldest frame is dropped.</summary>
    public int QueueCapacity { get; set; } = 8;

    /// <summary>What a full queue does. Absent (the default): a file read at <see cref="FilePace.Fast"/> pace waits
    /// for the consumer (no frame lost), every other camera drops the oldest frame.</summary>
    public QueueFullMode? WhenQueueFull { get; set; }

    /// <summary>First delay before reconnecting a live camera; doubles per failed attempt.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between reconnect attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection that delivers no frame for this long is dropped and reconnected.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed from starting a connection to its first frame (ffmpeg probes the stream first).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The ffmpeg program: a name looked up on PATH, or a full path.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>True for an <c>rtsp://</c> (or <c>rtsps://</c>) camera, false for a file.</summary>
    public bool IsLive => IsLiveUrl(Url);

    /// <summary>A file read as fast as the pipeline takes it: processed without dropping a frame.</summary>
    public bool IsFastFile => !IsLive && Pace == FilePace.Fast;

    /// <summary>What a full queue does, with the default applied.</summary>
    public QueueFullMode QueueFullBehaviour => WhenQueueFull ?? (IsFastFile ? QueueFullMode.Wait : QueueFullMode.DropOldest);

    /// <summary>Bytes in one BGR24 frame.</summary>
    public int FrameBytes => checked(Width * Height * 3);

    /// <summary>True for an <c>rtsp://</c> or <c>rtsps://</c> URL.</summary>
    public static bool IsLiveUrl(string? url) =>
        url is not null &&
        (url.StartsWith("rtsp://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("rtsps://", StringComparison.OrdinalIgnoreCase));

    /// <summary>True for a valid camera id: 1-64 letters, digits, '-', '_' or '.'.</summary>
    public static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Checks every value; the message names the key, the bad value and what is accepted.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        var errors = new OptionErrors();
        Validate(errors, $"Camera[{Id}]");
        errors.ThrowIfAny();
    }

    /// <summary>The one set of camera rules; each error names <paramref name="key"/>:property.</summary>
    internal void Validate(OptionErrors errors, string key)
    {
        errors.Check(IsValidId(Id), $"{key}:Id", Id, "1-64 letters, digits, '-', '_' or '.'");
        if (string.IsNullOrWhiteSpace(Url))
        {
            errors.Add($"{key}:Url", Url, "rtsp://[user:password@]host[:port]/path or a video file path");
        }
        else if (Url.Contains("://", StringComparison.Ordinal) && !IsLive)
        {
            errors.Add($"{key}:Url", CameraUrl.Mask(Url),
                $"an rtsp:// (or rtsps://) URL or a local file path: the scheme '{Url[..Url.IndexOf("://", StringComparison.Ordinal)]}' is unsupported (no other URL is supported)");
        }
        else if (IsLive && CameraUrl.UnencodedInUserInfo(Url) is { } bad)
        {
            errors.Add($"{key}:Url", CameraUrl.MaskUserInfo(Url),
                $"a URL whose user and password are percent-encoded: '{(bad == ' ' ? "space" : bad.ToString())}' must be written {CameraUrl.PercentEncoded(bad)}");
        }
        else if (IsLive && !Uri.TryCreate(Url, UriKind.Absolute, out _))
        {
            errors.Add($"{key}:Url", CameraUrl.Mask(Url), "a valid URL (percent-encode special characters in the password)");
        }

        errors.Check(Enum.IsDefined(Transport), $"{key}:Transport", Transport, "tcp or udp");
        errors.Check(Enum.IsDefined(Pace), $"{key}:Pace", Pace, "realtime or fast");
        if (WhenQueueFull is { } mode)
        {
            errors.Check(Enum.IsDefined(mode), $"{key}:WhenQueueFull", mode, "dropOldest or wait");
            errors.Check(mode != QueueFullMode.Wait || IsFastFile, $"{key}:WhenQueueFull", mode,
                "dropOldest: only a file read at Pace fast may wait (live cameras and realtime files drop the oldest frame)");
        }

        errors.Check(Width is >= 16 and <= 7680 && Width % 2 == 0, $"{key}:Width", Width, "an even number from 16 to 7680");
        errors.Check(Height is >= 16 and <= 4320 && Height % 2 == 0, $"{key}:Height", Height, "an even number from 16 to 4320");
        errors.Check(Fps is >= 0.1 and <= 240, $"{key}:Fps", Fps, "0.1 to 240");
        errors.Check(QueueCapacity is >= 1 and <= 1024, $"{key}:QueueCapacity", QueueCapacity, "1 to 1024");
        errors.Check(ReconnectInitialDelay > TimeSpan.Zero, $"{key}:ReconnectInitialDelay", ReconnectInitialDelay, "a positive time span (e.g. 00:00:00.5)");
        errors.Check(ReconnectMaxDelay >= ReconnectInitialDelay, $"{key}:ReconnectMaxDelay", ReconnectMaxDelay, "at least ReconnectInitialDelay");
        errors.Check(ConnectTimeout >= TimeSpan.FromSeconds(1), $"{key}:ConnectTimeout", ConnectTimeout, "at least 1 second (e.g. 00:00:20)");
        errors.Check(StallTimeout >= TimeSpan.FromSeconds(1), $"{key}:StallTimeout", StallTimeout, "at least 1 second (e.g. 00:00:10)");
        errors.Check(!string.IsNullOrWhiteSpace(FfmpegPath), $"{key}:FfmpegPath", FfmpegPath, "the ffmpeg program (a name on PATH or a path)");
    }

    /// <summary>A copy, so that a running camera is not changed from outside.</summary>
    internal CameraOptions Clone() => (CameraOptions)MemberwiseClone();
}
