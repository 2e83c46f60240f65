using TorchSharp;
using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>Turns the configured device name into a libtorch device, with a clear message when CUDA is missing.</summary>
public static class DeviceSelection
{
    /// <summary>The libtorch device for "cpu", "cuda", "cuda:N" or "auto"; throws when CUDA is asked for and absent.</summary>
    public static Device Resolve(string name)
    {
        var parsed = Parse(name) ?? throw new ArgumentException($"device '{name}' is not one of cpu, cuda, cuda:N, auto.", nameof(name));
        if (parsed.Kind == "cpu") return CPU;
        bool available = cuda.is_available();
        if (parsed.Kind == "auto") return available ? CUDA : CPU;
        if (!available)
        {
            throw new InvalidOperationException(
                $"device '{name}' was asked for, but libtorch reports no CUDA device. This build uses the CPU libtorch " +
                "unless built with -p:ReidCuda=true (TorchSharp-cuda-linux) or run against a CUDA libtorch (LD_LIBRARY_PATH); " +
                "use --device cpu or auto otherwise.");
        }
        int count = cuda.device_count();
        if (parsed.Index >= count) throw new InvalidOperationException($"device '{name}': only {count} CUDA device(s) present.");
        return new Device(DeviceType.CUDA, parsed.Index);
    }

    internal static (string Kind, int Index)? Parse(string? name)
    {
        var n = name?.Trim().ToLowerInvariant();
        switch (n)
        {
            case "cpu": return ("cpu", 0);
            case "auto": return ("auto", 0);
            case "cuda": return ("cuda", 0);
        }
        if (n is not null && n.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(n.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
        {
            return ("cuda", index);
        }
        return null;
    }
}
