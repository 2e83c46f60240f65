using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ReId.ReidEncoder;
using ReId.Trainer.Data;
using ReId.Trainer.Evaluation;
using static TorchSharp.torch;

namespace ReId.Trainer.Commands;

/// <summary>Options shared by the commands, and the few helpers they all use.</summary>
internal static class CommonOptions
{
    /// <summary>One-line JSON that keeps names such as "+TemAtn" readable.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Option<string> Device() => new("--device")
    {
        Description = "cpu, cuda or auto (cuda when available).",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> Seed() => new("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };

    public static Option<int?> EvalFrames() => new("--eval-frames")
    {
        Description = "Frames per tracklet at evaluation (first frame of each chunk); default: the model's.",
    };

    public static Device ParseDevice(string value) => value.ToLowerInvariant() switch
    {
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA : throw new ArgumentException("--device cuda: CUDA is not available on this machine."),
        "auto" => cuda.is_available() ? CUDA : CPU,
        _ => throw new ArgumentException($"--device: '{value}' is not one of cpu, cuda, auto."),
    };

    public static string? CacheFolder(string? value) => value switch
    {
        null => Path.Combine(
            Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x
                ? x
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "reid-train"),
        "none" => null,
        _ => value,
    };

    /// <summary>
    /// "untrained": the encoder's default before training (ImageNet trunk, Baseline head); "default": the trained
    /// model shipped with the program; otherwise a model file.
    /// </summary>
    public static ReidModel LoadModel(string which) => which switch
    {
        "untrained" => ReidModel.CreateDefault(),
        "default" => ReidModelFile.Load(ShippedModel.Path()),
        _ => ReidModelFile.Load(which),
    };

    public static void PrintMetrics(TextWriter output, IEnumerable<(string Name, ReidMetrics Metrics)> rows)
    {
        output.WriteLine(ReidMetrics.TableHeader);
        foreach (var (name, m) in rows)
        {
            output.WriteLine(m.ToTableRow(name));
        }
    }

    public static string Json(ReidMetrics m, params (string Key, object Value)[] extra)
    {
        var d = new Dictionary<string, object>
        {
            ["rank1"] = Math.Round(m.Rank1, 2),
            ["rank5"] = Math.Round(m.Rank5, 2),
            ["rank10"] = Math.Round(m.Rank10, 2),
            ["rank20"] = Math.Round(m.Rank20, 2),
            ["mAP"] = Math.Round(m.MeanAp, 2),
            ["queries"] = m.Queries,
        };
        foreach (var (k, v) in extra)
        {
            d[k] = v;
        }

        return JsonSerializer.Serialize(d, JsonOptions);
    }

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Runs a command body; bad input becomes one clear line on stderr and exit code 2.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is DatasetException or ArgumentException or InvalidDataException or FileNotFoundException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled: the last checkpoint is kept; run the same command again to resume.");
            return 130;
        }
    }
}

/// <summary>The trained default model shipped with the program (models/ beside it or in the repository).</summary>
internal static class ShippedModel
{
    public const string FileName = "drsa-resnet18-cuhk03.reid";
    public const string EnvironmentVariable = "REID_TRAIN_DEFAULT_MODEL";

    public static string Path()
    {
        var tried = new List<string>();
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env)
        {
            return env;
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = System.IO.Path.Combine(dir.FullName, "models", FileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }

                tried.Add(candidate);
            }
        }

        throw new FileNotFoundException(
            $"The shipped default model {FileName} was not found (looked in models/ beside the program and above the current folder); " +
            $"set {EnvironmentVariable} or give --model FILE.");
    }
}
