using System.CommandLine;
using Microsoft.ML.OnnxRuntime;
using ReId.ReidEncoder;

namespace ReId.Host.Commands;

/// <summary>
/// <c>reid info [--config FILE]</c>: what this machine offers the pipeline (ONNX Runtime and its providers, libtorch and
/// CUDA, ffmpeg) and which models and store the configuration (or the demo's defaults) would use.
/// </summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "The service's configuration, for its models and store (default: the demo's)." };
        var command = new Command("info", "Show ONNX Runtime and its providers, libtorch/CUDA, ffmpeg, and the models and store in use.");
        command.Options.Add(config);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var failed = false;
            try
            {
                var ort = OrtEnv.Instance();
                Console.WriteLine($"ONNX Runtime {ort.GetVersionString()}: providers {string.Join(", ", ort.GetAvailableProviders())}");
            }
            catch (Exception e) when (e is DllNotFoundException or OnnxRuntimeException or TypeInitializationException)
            {
                Console.WriteLine($"ONNX Runtime could not be loaded: {e.Message}");
                failed = true;
            }

            try
            {
                var torch = TorchRuntime.Describe();
                Console.WriteLine($"TorchSharp {torch.TorchSharpVersion}: cpu threads {torch.Threads}, " +
                                  (torch.CudaAvailable ? $"cuda devices {torch.CudaDeviceCount}" : "cuda not available"));
            }
            catch (Exception e) when (e is DllNotFoundException or NotSupportedException or TypeInitializationException)
            {
                Console.WriteLine($"libtorch could not be loaded: {e.Message}");
                failed = true;
            }

            try
            {
                var version = await ExternalProcess.RunAsync("ffmpeg", ["-hide_banner", "-version"], cancellationToken).ConfigureAwait(false);
                Console.WriteLine(version.Split('\n')[0].Trim());
            }
            catch (InvalidOperationException e)
            {
                Console.WriteLine($"ffmpeg: {e.Message}");
                failed = true;
            }

            var settings = parse.GetValue(config) is { } file ? CommandSupport.LoadConfig(file) : null;
            if (parse.GetValue(config) is not null && settings is null)
            {
                return 2;
            }

            var yolox = settings?.Detection.ModelPath ?? CommandSupport.YoloxModel();
            var detector = settings?.Detection.Detector ?? "auto";
            Console.WriteLine(File.Exists(yolox)
                ? $"detector: {detector}; YOLOX model {yolox}"
                : $"detector: {detector}; YOLOX model {yolox} absent{(detector == "yolox" ? " (the service refuses to start)" : ": HOG is used")} " +
                  "(./setup.sh --models fetches it)");
            var encoder = DefaultEncoderModel.Resolve(settings?.Encoder.ModelPath);
            Console.WriteLine($"encoder: {encoder.Description}{(encoder.Path is { } p ? $" ({p})" : "")}");
            Console.WriteLine(settings is null
                ? "store: embedded (the demo's, in a temporary folder); give --config for the service's"
                : settings.Search.Store == "qdrant"
                    ? $"store: qdrant at {settings.Search.Qdrant.Url}, collections {settings.Search.Qdrant.CollectionPrefix}__*"
                    : $"store: embedded in {settings.Search.Directory}{(Directory.Exists(settings.Search.Directory) ? "" : " (not created yet)")}");
            return failed ? 1 : 0;
        });
        return command;
    }
}
