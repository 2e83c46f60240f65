using System.Globalization;
using Microsoft.Extensions.Configuration;
using ReId.ReidEncoder;

namespace ReId.Host.Configuration;

/// <summary>A configuration that cannot be used; the message names the key and the bad value.</summary>
public sealed class ConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads the service's JSON configuration file, applies defaults, and validates every section.</summary>
public static class ConfigurationLoader
{
    /// <summary>Loads and validates <paramref name="path"/>; relative paths inside it are resolved against its folder.</summary>
    public static ServiceOptions Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ConfigurationException($"configuration file '{path}' does not exist");
        }

        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder().AddJsonFile(full, optional: false, reloadOnChange: false).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new ConfigurationException($"configuration file '{path}' is not valid JSON: {e.Message}", e);
        }

        var options = Bind(root);
        ResolvePaths(options, Path.GetDirectoryName(full)!);
        Validate(options);
        return options;
    }

    /// <summary>Binds an already built configuration (a file, memory, environment) onto the defaults.</summary>
    public static ServiceOptions Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var known = typeof(ServiceOptions).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var section in configuration.GetChildren())
        {
            if (!known.Contains(section.Key))
            {
                throw new ConfigurationException(
                    $"configuration section '{section.Key}' is unknown; the sections are {string.Join(", ", known)}");
            }
        }

        var options = new ServiceOptions();
        try
        {
            configuration.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException(Describe(e), e);
        }

        return options;
    }

    private static string Describe(InvalidOperationException e)
    {
        // The binder's messages already name the key path and value ("Failed to convert configuration value
        // 'abc' at 'Cameras:0:Fps' to type ..." or "... properties were not found ...: 'Fpz'"); keep the first line.
        var message = e.Message;
        if (e.InnerException is FormatException or OverflowException)
        {
            message += $" ({e.InnerException.Message})";
        }

        return message;
    }

    private static void ResolvePaths(ServiceOptions options, string baseDirectory)
    {
        foreach (var camera in options.Cameras)
        {
            if (!string.IsNullOrWhiteSpace(camera.Url) && !IsNetworkUrl(camera.Url) && !Path.IsPathRooted(camera.Url))
            {
                camera.Url = Path.GetFullPath(Path.Combine(baseDirectory, camera.Url));
            }
        }

        options.Detection.ModelPath = Resolve(options.Detection.ModelPath, baseDirectory);
        if (!DefaultEncoderModel.IsKeyword(options.Encoder.ModelPath))
        {
            options.Encoder.ModelPath = Resolve(options.Encoder.ModelPath, baseDirectory);
        }
        options.Store.Path = Resolve(options.Store.Path, baseDirectory);
    }

    private static string Resolve(string path, string baseDirectory) =>
        string.IsNullOrWhiteSpace(path) || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));

    internal static bool IsNetworkUrl(string url) =>
        url.StartsWith("rtsp://", StringComparison.OrdinalIgnoreCase) ||
        url.StartsWith("rtsps://", StringComparison.OrdinalIgnoreCase) ||
        url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ||
        url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Checks every value; the first bad one throws with its key and value.</summary>
    public static void Validate(ServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Cameras.Count; i++)
        {
            var c = options.Cameras[i];
            var key = $"Cameras:{i}";
            Check(!string.IsNullOrWhiteSpace(c.Id) && c.Id.Length <= 64 && c.Id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.'),
                $"{key}:Id", c.Id, "1-64 letters, digits, '-', '_' or '.'");
            Check(ids.Add(c.Id), $"{key}:Id", c.Id, "a camera id used only once");
            Check(!string.IsNullOrWhiteSpace(c.Url), $"{key}:Url", c.Url, "an rtsp:// URL or a video file path");
            if (!IsNetworkUrl(c.Url))
            {
                Check(File.Exists(c.Url), $"{key}:Url", c.Url, "an existing video file (or an rtsp:// URL)");
            }

            Check(c.Transport is "tcp" or "udp", $"{key}:Transport", c.Transport, "tcp or udp");
            Check(c.Width is >= 16 and <= 7680 && c.Width % 2 == 0, $"{key}:Width", c.Width, "an even number from 16 to 7680");
            Check(c.Height is >= 16 and <= 4320 && c.Height % 2 == 0, $"{key}:Height", c.Height, "an even number from 16 to 4320");
            Check(c.Fps is >= 0.1 and <= 240, $"{key}:Fps", c.Fps, "0.1 to 240");
            Check(c.Pace is "realtime" or "fast", $"{key}:Pace", c.Pace, "realtime or fast");
            Check(c.QueueCapacity is >= 1 and <= 1024, $"{key}:QueueCapacity", c.QueueCapacity, "1 to 1024");
            Check(c.ReconnectInitialDelay > TimeSpan.Zero, $"{key}:ReconnectInitialDelay", c.ReconnectInitialDelay, "a positive time span (e.g. 00:00:00.5)");
            Check(c.ReconnectMaxDelay >= c.ReconnectInitialDelay, $"{key}:ReconnectMaxDelay", c.ReconnectMaxDelay, "at least ReconnectInitialDelay");
            Check(c.ConnectTimeout > TimeSpan.Zero, $"{key}:ConnectTimeout", c.ConnectTimeout, "a positive time span");
            Check(c.StallTimeout > TimeSpan.Zero, $"{key}:StallTimeout", c.StallTimeout, "a positive time span");
            Check(!string.IsNullOrWhiteSpace(c.FfmpegPath), $"{key}:FfmpegPath", c.FfmpegPath, "the ffmpeg program (name on PATH or a path)");
        }

        var d = options.Detection;
        Check(d.Detector is "auto" or "yolox" or "hog", "Detection:Detector", d.Detector, "auto, yolox or hog");
        if (d.Detector == "yolox")
        {
            Check(File.Exists(d.ModelPath), "Detection:ModelPath", d.ModelPath, "an existing YOLOX ONNX file (or Detector auto/hog)");
        }

        Check(d.MinScore is > 0 and < 1, "Detection:MinScore", d.MinScore, "between 0 and 1");
        Check(d.FpsPerCamera is > 0 and <= 240, "Detection:FpsPerCamera", d.FpsPerCamera, "above 0, at most 240");
        Check(d.BatchSize is >= 1 and <= 64, "Detection:BatchSize", d.BatchSize, "1 to 64");
        Check(d.BatchWaitMs is >= 0 and <= 1000, "Detection:BatchWaitMs", d.BatchWaitMs, "0 to 1000");
        Check(d.QueueCapacity is >= 1 and <= 1024, "Detection:QueueCapacity", d.QueueCapacity, "1 to 1024");
        Check(d.Threads is >= 0 and <= 256, "Detection:Threads", d.Threads, "0 (automatic) to 256");

        var t = options.Tracking;
        Check(t.LostAfterSeconds is > 0 and <= 60, "Tracking:LostAfterSeconds", t.LostAfterSeconds, "above 0, at most 60");
        Check(t.MinFrames is >= 1 and <= 1000, "Tracking:MinFrames", t.MinFrames, "1 to 1000");
        Check(t.SamplesPerTracklet is >= 1 and <= 32, "Tracking:SamplesPerTracklet", t.SamplesPerTracklet, "1 to 32");
        Check(t.QueueCapacity is >= 1 and <= 1024, "Tracking:QueueCapacity", t.QueueCapacity, "1 to 1024");

        var e = options.Encoder;
        if (!DefaultEncoderModel.IsKeyword(e.ModelPath))
        {
            Check(File.Exists(e.ModelPath), "Encoder:ModelPath", e.ModelPath, "an existing encoder model file, 'default' (or empty: the shipped trained model) or 'untrained'");
        }

        Check(e.Device is "cpu" or "cuda" or "auto", "Encoder:Device", e.Device, "cpu, cuda or auto");
        Check(e.BatchSize is >= 1 and <= 1024, "Encoder:BatchSize", e.BatchSize, "1 to 1024");
        Check(e.QueueCapacity is >= 1 and <= 4096, "Encoder:QueueCapacity", e.QueueCapacity, "1 to 4096");
        Check(e.CpuThreads is >= 0 and <= 256, "Encoder:CpuThreads", e.CpuThreads, "0 (automatic) to 256");

        var s = options.Store;
        Check(s.Kind is "embedded" or "qdrant", "Store:Kind", s.Kind, "embedded or qdrant");
        if (s.Kind == "embedded")
        {
            Check(!string.IsNullOrWhiteSpace(s.Path), "Store:Path", s.Path, "a file path for the embedded store");
        }
        else
        {
            Check(Uri.TryCreate(s.QdrantUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "Store:QdrantUrl", s.QdrantUrl, "an http(s) URL of the Qdrant gRPC port");
            Check(!string.IsNullOrWhiteSpace(s.Collection), "Store:Collection", s.Collection, "a collection name");
        }

        Check(s.RetentionDays is >= 0 and <= 36500, "Store:RetentionDays", s.RetentionDays, "0 (keep) to 36500");

        var l = options.Linking;
        Check(l.MinScore is >= -1 and <= 1, "Linking:MinScore", l.MinScore, "-1 to 1 (cosine similarity)");
        Check(l.DefaultK is >= 1 and <= 1000, "Linking:DefaultK", l.DefaultK, "1 to 1000");
        Check(l.AutoLinkScore is >= -1 and <= 1, "Linking:AutoLinkScore", l.AutoLinkScore, "-1 to 1 (cosine similarity)");

        var h = options.Http;
        Check(System.Net.IPAddress.TryParse(h.Address, out _) || h.Address == "localhost", "Http:Address", h.Address,
            "an IP address such as 127.0.0.1 (0.0.0.0 listens on every interface)");
        Check(h.Port is >= 0 and <= 65535, "Http:Port", h.Port, "0 (any free port) to 65535");
        if (h.ApiKey is not null)
        {
            // The key itself is never echoed back: only its length.
            Check(h.ApiKey.Length >= 16, "Http:ApiKey", $"<{h.ApiKey.Length} characters>", "at least 16 characters, or absent for no key");
        }

        Check(h.MaxUploadBytes is >= 1024 and <= 64 * 1024 * 1024, "Http:MaxUploadBytes", h.MaxUploadBytes, "1024 to 67108864");
        Check(h.MaxUploadImages is >= 1 and <= 64, "Http:MaxUploadImages", h.MaxUploadImages, "1 to 64");
    }

    private static void Check(bool ok, string key, object? value, string expected)
    {
        if (!ok)
        {
            var shown = value switch
            {
                null => "(absent)",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
            throw new ConfigurationException($"configuration key {key} has the bad value '{shown}': expected {expected}");
        }
    }
}
