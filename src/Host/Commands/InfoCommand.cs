using System.CommandLine;
using ReId.ReidEncoder;

namespace ReId.Host.Commands;

/// <summary><c>reid info</c>: what this machine offers the pipeline (libtorch, CUDA, ffmpeg).</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show the compute backend this machine offers (libtorch, CUDA).");
        command.SetAction(_ =>
        {
            try
            {
                var torch = TorchRuntime.Describe();
                Console.WriteLine($"TorchSharp {torch.TorchSharpVersion}: cpu threads {torch.Threads}, " +
                                  (torch.CudaAvailable ? $"cuda devices {torch.CudaDeviceCount}" : "cuda not available"));
                return 0;
            }
            catch (Exception e) when (e is DllNotFoundException or NotSupportedException or TypeInitializationException)
            {
                Console.Error.WriteLine($"libtorch could not be loaded: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
