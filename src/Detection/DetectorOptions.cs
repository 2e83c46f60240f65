namespace ReId.Detection;

/// <summary>The "Detection" configuration section.</summary>
public sealed class DetectorOptions
{
    /// <summary>Detector name from <see cref="DetectorRegistry.Names"/>.</summary>
    public string Detector { get; set; } = "yolox";

    /// <summary>The YOLOX ONNX file. When it is absent the HOG detector is taken instead, and says so.</summary>
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
    public float ScoreThreshold { get; set; } = 0.1f;

    /// <summary>Boxes overlapping a better one by more than this IoU are suppressed.</summary>
    public float NmsIouThreshold { get; set; } = 0.45f;

    /// <summary>Most frames run together (across cameras).</summary>
    public int MaxBatch { get; set; } = 4;

    /// <summary>Longest time the batcher waits for more frames once one is waiting.</summary>
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>ONNX Runtime intra-op threads; 0 lets it choose.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Throws with a message naming the key and value when a setting is unusable.</summary>
    public void Validate()
    {
        static void Fail(string key, object value, string why) =>
            throw new ArgumentException($"Detection:{key} = '{value}' is not valid: {why}.");

        if (string.IsNullOrWhiteSpace(Detector))
        {
            Fail(nameof(Detector), Detector, $"name one of {string.Join(", ", DetectorRegistry.Names)}");
        }

        if (ExecutionProvider is not ("cpu" or "cuda"))
        {
            Fail(nameof(ExecutionProvider), ExecutionProvider, "use cpu or cuda");
        }

        if (ScoreThreshold is < 0 or > 1 || float.IsNaN(ScoreThreshold))
        {
            Fail(nameof(ScoreThreshold), ScoreThreshold, "use a value in [0, 1]");
        }

        if (NmsIouThreshold is <= 0 or > 1 || float.IsNaN(NmsIouThreshold))
        {
            Fail(nameof(NmsIouThreshold), NmsIouThreshold, "use a value in (0, 1]");
        }

        if (MaxBatch is < 1 or > 64)
        {
            Fail(nameof(MaxBatch), MaxBatch, "use 1 to 64");
        }

        if (MaxBatchWait < TimeSpan.Zero || MaxBatchWait > TimeSpan.FromSeconds(1))
        {
            Fail(nameof(MaxBatchWait), MaxBatchWait, "use 0 to 1 s");
        }

        if (IntraOpThreads < 0)
        {
            Fail(nameof(IntraOpThreads), IntraOpThreads, "use 0 (automatic) or more");
        }

        if (DeviceId < 0)
        {
            Fail(nameof(DeviceId), DeviceId, "use 0 or more");
        }
    }
}
