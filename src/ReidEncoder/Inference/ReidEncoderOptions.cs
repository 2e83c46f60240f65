namespace ReId.ReidEncoder;

/// <summary>Configuration of the tracklet encoder (section "Encoder").</summary>
public sealed record ReidEncoderOptions
{
    /// <summary>"cpu", "cuda", "cuda:N" or "auto" (CUDA when libtorch offers it, else CPU).</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Half precision on CUDA (refused on the CPU).</summary>
    public bool Fp16 { get; init; }

    /// <summary>A model file; null or empty uses the default model (ImageNet trunk, Baseline head).</summary>
    public string? ModelPath { get; init; }

    /// <summary>Architecture of the default model, and the architecture a model file must have when set.</summary>
    public DrsaConfig? Architecture { get; init; }

    /// <summary>Most tracklets encoded in one batch.</summary>
    public int MaxBatchTracklets { get; init; } = 32;

    /// <summary>Most distinct crops sent through the trunk in one batch.</summary>
    public int MaxBatchCrops { get; init; } = 256;

    /// <summary>Tracklets waiting for the inference thread before callers wait in turn.</summary>
    public int QueueCapacity { get; init; } = 1024;

    /// <summary>Inference threads; 0 picks 1 on the CPU and 2 on CUDA (one prepares its batch while the other's kernels run).</summary>
    public int InferenceThreads { get; init; }

    /// <summary>CPU threads for libtorch; 0 keeps libtorch's default.</summary>
    public int CpuThreads { get; init; }

    /// <summary>Throws naming the key and its bad value.</summary>
    public void Validate()
    {
        if (DeviceSelection.Parse(Device) is null)
        {
            throw new ArgumentException($"Encoder:Device: '{Device}' is not one of cpu, cuda, cuda:N, auto.");
        }
        if (MaxBatchTracklets is < 1 or > 65536) throw new ArgumentException($"Encoder:MaxBatchTracklets: {MaxBatchTracklets} is out of range 1..65536.");
        if (MaxBatchCrops is < 1 or > 1 << 20) throw new ArgumentException($"Encoder:MaxBatchCrops: {MaxBatchCrops} is out of range 1..1048576.");
        if (QueueCapacity is < 1 or > 1 << 20) throw new ArgumentException($"Encoder:QueueCapacity: {QueueCapacity} is out of range 1..1048576.");
        if (InferenceThreads is < 0 or > 16) throw new ArgumentException($"Encoder:InferenceThreads: {InferenceThreads} is out of range 0..16.");
        if (CpuThreads is < 0 or > 1024) throw new ArgumentException($"Encoder:CpuThreads: {CpuThreads} is out of range 0..1024.");
        if (!string.IsNullOrEmpty(ModelPath) && !File.Exists(ModelPath)) throw new ArgumentException($"Encoder:ModelPath: '{ModelPath}' does not exist.");
        Architecture?.Validate();
    }
}
