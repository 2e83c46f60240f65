using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ReId.Detection;

/// <summary>The "Detection" configuration section: which detector, its model, where it runs, how it batches.</summary>
public sealed class DetectorOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Detection";

    /// <summary>
    /// Detector name from <see cref="DetectorRegistry.Names"/>: "auto" (YOLOX when <see cref="ModelPath"/> exists,
    /// else HOG, said in the log and in <see cref="IPersonDetector.Description"/>), "yolox" or "hog".
    /// </summary>
    public string Detector { get; set; } = "auto";

    /// <summary>The YOLOX ONNX file.</summary>
    public string ModelPath { get; set; } = "models/yolox_nano.onnx";

    /// <summary>"cpu" or "cuda".</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>
    /// When CUDA is asked for but this build or machine lacks it: true runs on CPU and says so in the log and in
    /// <see cref="IPersonDetector.Description"/>; false refuses to start.
    /// </summary>
    public bool FallBackToCpu { get; set; } = true;

    /// <summary>CUDA device ordinal.</summary>
    public int DeviceId { get; set; }

    /// <summary>
    /// Lowest person score kept. Low on purpose: the tracker uses detections between this and its high threshold
    /// in its second association stage.
    /// </summary>
    public float MinScore { get; set; } = 0.1f;

    /// <summary>Boxes overlapping a better one by more than this IoU are suppressed.</summary>
    public float NmsIouThreshold { get; set; } = 0.45f;

    /// <summary>
    /// Tiles per side for small people: 1 runs the model on the whole frame only; N &gt; 1 also on N x N overlapping
    /// tiles, each scaled up to the model's input, so a person N times smaller is seen at the size the whole frame
    /// gives a large one; costs 1 + N x N model runs a frame.
    /// </summary>
    public int Tiles { get; set; } = 1;

    /// <summary>Most frames run together (across cameras).</summary>
    public int BatchSize { get; set; } = 4;

    /// <summary>ONNX Runtime intra-op threads; 0: half the cores (the encoder takes the other half).</summary>
    public int Threads { get; set; }

    /// <summary>The thread count with the automatic value applied.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : CpuShare.Half();

    /// <summary>Throws with a message naming the key and value when a setting is unusable.</summary>
    /// <exception cref="ArgumentException">A setting is unusable.</exception>
    public void Validate()
    {
        var errors = new OptionErrors();
        Validate(errors);
        errors.ThrowIfAny();
    }

    internal void Validate(OptionErrors errors)
    {
        const string s = SectionName;
        var names = string.Join(", ", DetectorRegistry.Names);
        errors.Check(DetectorRegistry.Names.Contains(Detector?.Trim().ToLowerInvariant()), $"{s}:Detector", Detector, $"one of {names}");
        if (string.Equals(Detector?.Trim(), "yolox", StringComparison.OrdinalIgnoreCase))
        {
            errors.Check(File.Exists(ModelPath), $"{s}:ModelPath", ModelPath, "an existing YOLOX ONNX file (or Detector auto or hog)");
        }

        errors.Check(ExecutionProvider is "cpu" or "cuda", $"{s}:ExecutionProvider", ExecutionProvider, "cpu or cuda");
        errors.Check(MinScore is > 0 and < 1, $"{s}:MinScore", MinScore, "between 0 and 1");
        errors.Check(NmsIouThreshold is > 0 and <= 1, $"{s}:NmsIouThreshold", NmsIouThreshold, "above 0, at most 1");
        errors.Check(Tiles is >= 1 and <= 4, $"{s}:Tiles", Tiles, "1 (whole frame only) to 4");
        errors.Check(BatchSize is >= 1 and <= 64, $"{s}:BatchSize", BatchSize, "1 to 64");
        errors.Check(Threads is >= 0 and <= 256, $"{s}:Threads", Threads, "0 (automatic: half the cores) to 256");
        errors.Check(DeviceId is >= 0 and <= 64, $"{s}:DeviceId", DeviceId, "a CUDA device ordinal, 0 or more");
    }
}

/// <summary>Registers the Detection stage.</summary>
public static class DetectionServiceCollectionExtensions
{
    /// <summary>Binds <see cref="DetectorOptions"/> from the <c>Detection</c> section (unknown keys are errors) and
    /// validates it once, at start.</summary>
    public static OptionsBuilder<DetectorOptions> AddDetection(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddValidatedOptions<DetectorOptions>(configuration.GetSection(DetectorOptions.SectionName), (o, e) => o.Validate(e));
    }

    /// <summary>
    /// Registers the stage's detector over <see cref="DetectorOptions"/> (bound by <see cref="AddDetection"/> or given):
    /// one <see cref="IPersonDetector"/> (<see cref="DetectorRegistry.Create"/>) for every camera, disposed by the container.
    /// </summary>
    public static IServiceCollection AddDetectionServices(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IPersonDetector>(sp => DetectorRegistry.Create(
            sp.GetRequiredService<IOptions<DetectorOptions>>().Value, sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        return services;
    }
}
