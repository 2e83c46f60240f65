namespace ReId.ReidEncoder;

/// <summary>Configuration of the tracklet encoder (section "Encoder").</summary>
public sealed record ReidEncoderOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Encoder";

    /// <summary>"cpu", "cuda", "cuda:N" or "auto" (CUDA when libtorch offers it, else CPU).</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Half precision on CUDA (refused on the CPU).</summary>
    public bool Fp16 { get; set; }

    /// <summary>
    /// A model file; null or empty uses the default model (ImageNet trunk, Baseline head). The service reads the
    /// keywords of <see cref="DefaultEncoderModel"/> too (empty or "default": the trained model shipped beside the
    /// program; "untrained") and resolves them with <see cref="DefaultEncoderModel.Resolve(string?)"/>.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>Architecture of the default model, and the architecture a model file must have when set.</summary>
    public DrsaConfig? Architecture { get; set; }

    /// <summary>Most tracklets encoded in one batch.</summary>
    public int MaxBatchTracklets { get; set; } = 32;

    /// <summary>Most distinct crops sent through the trunk in one batch.</summary>
    public int MaxBatchCrops { get; set; } = 256;

    /// <summary>Tracklets waiting for the inference thread before callers wait in turn.</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Inference threads; 0 picks 1 on the CPU and 2 on CUDA (one prepares its batch while the other's kernels run).</summary>
    public int InferenceThreads { get; set; }

    /// <summary>CPU threads for libtorch; 0 keeps libtorch's default.</summary>
    public int CpuThreads { get; set; }

    /// <summary>Also embed each tracklet's mirrored crops and average the two (test-time flip augmentation): an
    /// embedding that does not depend on the walking direction, for twice the encoder work.</summary>
    public bool FlipAverage { get; set; }

    /// <summary>The service loads a changed model file without a restart (and re-embeds stored sightings).</summary>
    public bool WatchModelFile { get; set; } = true;

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
        if (!DefaultEncoderModel.IsKeyword(ModelPath) && !File.Exists(ModelPath)) throw new ArgumentException($"Encoder:ModelPath: '{ModelPath}' does not exist; give an encoder model file, 'default' (or empty: the shipped trained model) or 'untrained'.");
        Architecture?.Validate();
    }
}
