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
    /// losing a frame, as fast as the consumer goes. Files read in <see cref="FilePace.Fast"/> pace only.</summary>
    Wait,
}

/// <summary>
/// One camera: an <c>rtsp://</c> URL (credentials may be in it) or a local video file, decoded to BGR24 frames
/// of <see cref="Width"/> x <see cref="Height"/> at <see cref="Fps"/> frames a second.
/// Settable properties so that a configuration section binds to it; <see cref="Validate"/> checks it.
/// </summary>
public sealed class CameraOptions
{
    /// <summary>Camera id, carried by every frame. Letters, digits, '-', '_' and '.'.</summary>
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
    public FilePace FilePace { get; set; } = FilePace.Realtime;

    /// <summary>Files only: play the file again and again, like a camera that never ends.</summary>
    public bool Loop { get; set; }

    /// <summary>Files only: when the recording started; frame times are this plus the stream time.
    /// Without it, the time the file was opened is used.</summary>
    public DateTimeOffset? StartTime { get; set; }

    /// <summary>Frames held for a slow consumer; beyond this the oldest frame is dropped.</summary>
    public int QueueCapacity { get; set; } = 8;

    /// <summary>What a full queue does: drop the oldest frame (default), or wait for the consumer (fast files only).</summary>
    public QueueFullMode WhenQueueFull { get; set; } = QueueFullMode.DropOldest;

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
    public bool IsLive =>
        Url.StartsWith("rtsp://", StringComparison.OrdinalIgnoreCase) ||
        Url.StartsWith("rtsps://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Bytes in one BGR24 frame.</summary>
    public int FrameBytes => checked(Width * Height * 3);

    /// <summary>Checks every value; the message names the key, the bad value and what is accepted.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Id) || !Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            errors.Add($"Id '{Id}' must be non-empty letters, digits, '-', '_' or '.'");
        }

        if (string.IsNullOrWhiteSpace(Url))
        {
            errors.Add($"Url of camera '{Id}' is empty: give rtsp://host/path or a video file path");
        }
        else if (Url.Contains("://", StringComparison.Ordinal) && !IsLive)
        {
            errors.Add($"Url '{CameraUrl.Mask(Url)}' of camera '{Id}': only rtsp:// URLs and local file paths are supported");
        }
        else if (IsLive && !Uri.TryCreate(Url, UriKind.Absolute, out _))
        {
            errors.Add($"Url '{CameraUrl.Mask(Url)}' of camera '{Id}' is not a valid URL (percent-encode special characters in the password)");
        }

        if (!Enum.IsDefined(Transport))
        {
            errors.Add($"Transport '{Transport}' of camera '{Id}' must be tcp or udp");
        }

        if (!Enum.IsDefined(FilePace))
        {
            errors.Add($"FilePace '{FilePace}' of camera '{Id}' must be realtime or fast");
        }

        if (!Enum.IsDefined(WhenQueueFull))
        {
            errors.Add($"WhenQueueFull '{WhenQueueFull}' of camera '{Id}' must be dropOldest or wait");
        }
        else if (WhenQueueFull == QueueFullMode.Wait && (IsLive || FilePace != FilePace.Fast))
        {
            errors.Add($"WhenQueueFull 'Wait' of camera '{Id}' needs a file read with FilePace fast (live cameras and realtime files drop the oldest frame)");
        }

        if (Width is < 16 or > 7680 || Width % 2 != 0)
        {
            errors.Add($"Width {Width} of camera '{Id}' must be even, 16 to 7680");
        }

        if (Height is < 16 or > 4320 || Height % 2 != 0)
        {
            errors.Add($"Height {Height} of camera '{Id}' must be even, 16 to 4320");
        }

        if (!(Fps is >= 0.1 and <= 240))
        {
            errors.Add($"Fps {Fps} of camera '{Id}' must be 0.1 to 240");
        }

        if (QueueCapacity is < 1 or > 1000)
        {
            errors.Add($"QueueCapacity {QueueCapacity} of camera '{Id}' must be 1 to 1000");
        }

        if (ReconnectInitialDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectInitialDelay)
        {
            errors.Add($"ReconnectInitialDelay {ReconnectInitialDelay} and ReconnectMaxDelay {ReconnectMaxDelay} of camera '{Id}' " +
                       "must be positive with the maximum not below the initial delay");
        }

        if (StallTimeout < TimeSpan.FromSeconds(1))
        {
            errors.Add($"StallTimeout {StallTimeout} of camera '{Id}' must be at least 1 second");
        }

        if (ConnectTimeout < TimeSpan.FromSeconds(1))
        {
            errors.Add($"ConnectTimeout {ConnectTimeout} of camera '{Id}' must be at least 1 second");
        }

        if (string.IsNullOrWhiteSpace(FfmpegPath))
        {
            errors.Add($"FfmpegPath of camera '{Id}' is empty");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Camera configuration: " + string.Join("; ", errors) + ".");
        }
    }

    /// <summary>A copy, so that a running camera is not changed from outside.</summary>
    internal CameraOptions Clone() => (CameraOptions)MemberwiseClone();
}
