using Microsoft.Extensions.Logging;
using ReId.Host.Configuration;

namespace ReId.Host.Commands;

/// <summary>What the commands share: logging, configuration loading, where the sample files are.</summary>
internal static class CommandSupport
{
    /// <summary>The console logging of a command without a configuration file (the demo, the benchmarks).</summary>
    public static ILoggerFactory CreateLoggerFactory(LogLevel level = LogLevel.Information) => ServiceLogging.Create(null, level);

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

    /// <summary>
    /// The folder of models and media beside the checkout: REID_SHARED when set (a folder that does not exist hides
    /// it, as on a fresh machine), else ../shared above the program or the working folder; null when neither is known.
    /// </summary>
    public static string? SharedFolder() =>
        Environment.GetEnvironmentVariable("REID_SHARED") is { Length: > 0 } fromEnvironment
            ? Path.GetFullPath(fromEnvironment)
            : RepoRoot() is { } root ? Path.GetFullPath(Path.Combine(root, "..", "shared")) : null;

    /// <summary>REID_SAMPLE_VIDEO, else Debian's opencv-doc sample video, else the shared folder's media/vtest.avi.</summary>
    public static string? SampleVideo()
    {
        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("REID_SAMPLE_VIDEO"),
            "/usr/share/doc/opencv-doc/examples/data/vtest.avi",
        };
        if (SharedFolder() is { } shared)
        {
            candidates.Add(Path.Combine(shared, "media", "vtest.avi"));
        }

        return candidates.FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p)) is { } found ? Path.GetFullPath(found) : null;
    }

    /// <summary>
    /// The YOLOX-nano model: REID_YOLOX_MODEL, else the first present of models/yolox_nano.onnx in the checkout (where
    /// <c>./setup.sh --models</c> puts it), beside the program, in the shared folder; else the checkout's path (absent).
    /// </summary>
    public static string YoloxModel()
    {
        var env = Environment.GetEnvironmentVariable("REID_YOLOX_MODEL");
        if (!string.IsNullOrEmpty(env))
        {
            return Path.GetFullPath(env);
        }

        var inCheckout = Path.Combine(RepoRoot() ?? AppContext.BaseDirectory, "models", YoloxFileName);
        var candidates = new List<string> { inCheckout, Path.Combine(AppContext.BaseDirectory, "models", YoloxFileName) };
        if (SharedFolder() is { } shared)
        {
            candidates.Add(Path.Combine(shared, "models", YoloxFileName));
        }

        return Path.GetFullPath(candidates.FirstOrDefault(File.Exists) ?? inCheckout);
    }

    /// <summary>The YOLOX-nano model's file name, as the YOLOX release names it.</summary>
    public const string YoloxFileName = "yolox_nano.onnx";
}
