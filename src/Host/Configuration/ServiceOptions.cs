namespace ReId.Host.Configuration;

/// <summary>The whole configuration file: one section per stage, each with its own defaults.</summary>
public sealed class ServiceOptions
{
    public List<CameraSection> Cameras { get; set; } = [];
    public DetectionSection Detection { get; set; } = new();
    public TrackingSection Tracking { get; set; } = new();
    public EncoderSection Encoder { get; set; } = new();
    public StoreSection Store { get; set; } = new();
    public LinkingSection Linking { get; set; } = new();
    public HttpSection Http { get; set; } = new();

    /// <summary>
    /// The automatic thread count of the detector and of the encoder on CPU: half the cores each. Left to
    /// themselves ONNX Runtime and libtorch each take every core and, running side by side with the decoders, slow
    /// each other down (2 cores, 4 cameras: 7.3 detections/s per camera and dropped frames, against 8.0 and none).
    /// </summary>
    public static int ShareOfCores() => Math.Max(1, Environment.ProcessorCount / 2);
}

/// <summary>One camera: an RTSP URL or a video file path.</summary>
public sealed class CameraSection
{
    public string Id { get; set; } = "";
    public string Url { get; set; } = "";
    /// <summary>RTSP transport: tcp or udp.</summary>
    public string Transport { get; set; } = "tcp";
    /// <summary>Frame size after scaling.</summary>
    public int Width { get; set; } = 640;
    public int Height { get; set; } = 360;
    /// <summary>Frames a second delivered (source frames are dropped or repeated to meet it).</summary>
    public double Fps { get; set; } = 25;
    /// <summary>Files only: play again and again, like a camera that never ends.</summary>
    public bool Loop { get; set; }
    /// <summary>For files: realtime (like a live camera) or fast (as fast as the pipeline takes them).</summary>
    public string Pace { get; set; } = "realtime";
    /// <summary>Wall-clock time of a recording's first frame (files); absent means "now" at start.</summary>
    public DateTimeOffset? StartTime { get; set; }
    public int QueueCapacity { get; set; } = 8;
    /// <summary>Live cameras: first delay after a failure, doubled per failed attempt up to the maximum.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>No first frame after connecting, or no frame for this long while streaming: reconnect.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>The decoder program.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";
}

public sealed class DetectionSection
{
    /// <summary>yolox, hog, or auto (yolox where the model file exists, else hog).</summary>
    public string Detector { get; set; } = "auto";
    /// <summary>The YOLOX ONNX file; relative paths are taken from the configuration file's folder.</summary>
    public string ModelPath { get; set; } = "../shared/models/yolox_nano.onnx";
    /// <summary>Lowest detection score kept; the tracker's second stage uses the weak ones (ByteTrack).</summary>
    public float MinScore { get; set; } = 0.1f;
    /// <summary>Frames per second per camera given to the detector; the others are skipped (not dropped).</summary>
    public double FpsPerCamera { get; set; } = 8;
    /// <summary>Largest batch across cameras, and how long the batcher waits to fill one.</summary>
    public int BatchSize { get; set; } = 4;
    public int BatchWaitMs { get; set; } = 20;
    public int QueueCapacity { get; set; } = 16;
    /// <summary>Detector threads (intra-op); 0: half the cores (the encoder takes the other half).</summary>
    public int Threads { get; set; }
}

public sealed class TrackingSection
{
    /// <summary>A track not matched for this long is finished and becomes a sighting.</summary>
    public double LostAfterSeconds { get; set; } = 1.5;
    /// <summary>Tracks shorter than this many detected frames are dropped as noise.</summary>
    public int MinFrames { get; set; } = 4;
    /// <summary>Crops kept per tracklet for the encoder (restricted random sampling).</summary>
    public int SamplesPerTracklet { get; set; } = 8;
    public int QueueCapacity { get; set; } = 16;
}

public sealed class EncoderSection
{
    /// <summary>The DRSA model file; empty or "default": the trained model shipped beside the program (the untrained
    /// default when that file is absent); "untrained": ImageNet trunk with an untrained head.</summary>
    public string ModelPath { get; set; } = "";
    /// <summary>cpu, cuda, or auto.</summary>
    public string Device { get; set; } = "cpu";
    public int BatchSize { get; set; } = 8;
    public int QueueCapacity { get; set; } = 64;
    /// <summary>CPU threads for libtorch; 0: half the cores (the detector takes the other half).</summary>
    public int CpuThreads { get; set; }
    /// <summary>Embed each tracklet's crops and their mirror images and average the two (test-time flip
    /// augmentation): an embedding that does not depend on the walking direction or a mirrored view, for twice the
    /// encoder work (on 2 CPU cores: 4 live cameras in real time without it, 3 with it).</summary>
    public bool FlipAverage { get; set; }
    /// <summary>Load a changed model file into the running service.</summary>
    public bool WatchModelFile { get; set; } = true;
}

public sealed class StoreSection
{
    /// <summary>embedded or qdrant.</summary>
    public string Kind { get; set; } = "embedded";
    /// <summary>Folder of the embedded store (and of Qdrant's side store: thumbnails, crops, feedback); relative
    /// paths are taken from the configuration file's folder.</summary>
    public string Path { get; set; } = "reid-data";
    public string QdrantUrl { get; set; } = "http://localhost:6334";
    public string Collection { get; set; } = "sightings";
    /// <summary>Keep the tracklet crops so sightings can be re-embedded by a new model.</summary>
    public bool KeepCrops { get; set; } = true;
    /// <summary>Sightings older than this are erased; 0 keeps them.</summary>
    public double RetentionDays { get; set; }
}

public sealed class LinkingSection
{
    /// <summary>Lowest cosine similarity shown by where-else and used to link identities.</summary>
    public float MinScore { get; set; } = 0.5f;
    /// <summary>Where-else results returned when the request names no k.</summary>
    public int DefaultK { get; set; } = 20;
    /// <summary>Link sightings of other cameras above this similarity into one identity automatically.</summary>
    public float AutoLinkScore { get; set; } = 0.8f;
}

public sealed class HttpSection
{
    /// <summary>Listening address; loopback unless configured otherwise.</summary>
    public string Address { get; set; } = "127.0.0.1";
    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; } = 8080;
    /// <summary>When set, every route but /healthz needs it (header X-Api-Key, or ?key= for the page).</summary>
    public string? ApiKey { get; set; }
    public int MaxUploadBytes { get; set; } = 4 * 1024 * 1024;
    public int MaxUploadImages { get; set; } = 16;
}
