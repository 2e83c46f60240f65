using Microsoft.Extensions.Logging;
using ReId.Host.Configuration;

namespace ReId.Host.Commands;

/// <summary>What the commands share: logging, configuration loading, where the sample files are.</summary>
internal static class CommandSupport
{
    public static ILoggerFactory CreateLoggerFactory(LogLevel level = LogLevel.Information) => LoggerFactory.Create(b => b
        .SetMinimumLevel(level)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        }));

    /// <summary>Loads the configuration or prints why it cannot be used (exit code 2).</summary>
    public static ServiceSettings? LoadConfig(string path)
    {
        try
        {
            var settings = ConfigurationLoader.Load(path);
            ShutdownSignal.Current?.Timeout = settings.Pipeline.ShutdownTimeout;
            return settings;
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"reid: {e.Message}");
            return null;
        }
    }

    /// <summary>The repository root (the folder with Pipeline.sln) above the program or the working folder.</summary>
    public static string? RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    /// <summary>Debian's opencv-doc sample video, else ../shared/media/vtest.avi beside the checkout.</summary>
    public static string? SampleVideo()
    {
        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("REID_SAMPLE_VIDEO"),
            "/usr/share/doc/opencv-doc/examples/data/vtest.avi",
        };
        if (RepoRoot() is { } root)
        {
            candidates.Add(Path.Combine(root, "..", "shared", "media", "vtest.avi"));
        }

        candidates.Add(Path.Combine("..", "shared", "media", "vtest.avi"));
        return candidates.FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p)) is { } found ? Path.GetFullPath(found) : null;
    }

    /// <summary>The YOLOX-nano model: REID_YOLOX_MODEL, else ../shared/models/yolox_nano.onnx beside the checkout.</summary>
    public static string YoloxModel()
    {
        var env = Environment.GetEnvironmentVariable("REID_YOLOX_MODEL");
        if (!string.IsNullOrEmpty(env))
        {
            return Path.GetFullPath(env);
        }

        var root = RepoRoot() ?? Environment.CurrentDirectory;
        return Path.GetFullPath(Path.Combine(root, "..", "shared", "models", "yolox_nano.onnx"));
    }
}
