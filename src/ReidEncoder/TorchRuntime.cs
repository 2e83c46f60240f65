using TorchSharp;

namespace ReId.ReidEncoder;

/// <summary>What the loaded libtorch offers: its version and whether CUDA can be used.</summary>
public sealed record TorchRuntimeInfo(string TorchSharpVersion, bool CudaAvailable, int CudaDeviceCount, int Threads);

/// <summary>Loads libtorch once and reports what it offers, so the service can say so at start.</summary>
public static class TorchRuntime
{
    /// <summary>Loads the native backend (throws with the loader's reason if it cannot) and describes it.</summary>
    public static TorchRuntimeInfo Describe()
    {
        bool cuda = torch.cuda.is_available();
        return new TorchRuntimeInfo(
            typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            cuda,
            cuda ? torch.cuda.device_count() : 0,
            torch.get_num_threads());
    }
}
