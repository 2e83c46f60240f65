namespace ReId;

/// <summary>How the compute stages share the CPU cores.</summary>
public static class CpuShare
{
    /// <summary>
    /// The automatic thread count of the detector and of the encoder on CPU: half the cores each. Left to
    /// themselves ONNX Runtime and libtorch each take every core and, running side by side with the decoders, slow
    /// each other down (2 cores, 4 cameras: 7.3 detections/s per camera and dropped frames, against 8.0 and none).
    /// </summary>
    public static int Half() => Math.Max(1, Environment.ProcessorCount / 2);
}
