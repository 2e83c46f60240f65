using Microsoft.Extensions.Options;

namespace ReId.Host.Pipeline;

/// <summary>
/// The "Pipeline" configuration section: how the pipeline joins the stages (the rate frames go to the detector,
/// the queues between the stages, how many items a stage takes at once, restarts, the shutdown time). What each
/// stage does is in the stage's own section.
/// </summary>
public sealed class PipelineOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Pipeline";

    /// <summary>Frames per second per camera given to the detector; the others are skipped (not dropped).</summary>
    public double DetectionFpsPerCamera { get; set; } = 8;

    /// <summary>Frames (from any camera) handed to the detector in one call.</summary>
    public int DetectionBatchSize { get; set; } = 4;

    /// <summary>How long the detection loop waits for other cameras' frames to fill a batch.</summary>
    public TimeSpan DetectionBatchWait { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Frames waiting for the detector; beyond this the oldest is dropped (live cameras).</summary>
    public int DetectionQueueCapacity { get; set; } = 16;

    /// <summary>Detected frames waiting for a camera's tracker; beyond this the oldest is dropped (live cameras).</summary>
    public int TrackingQueueCapacity { get; set; } = 16;

    /// <summary>Tracklets handed to the encoder in one call.</summary>
    public int EncoderBatchSize { get; set; } = 8;

    /// <summary>Finished tracklets waiting for the encoder (the trackers wait when it is full: none is dropped).</summary>
    public int EncoderQueueCapacity { get; set; } = 64;

    /// <summary>Embedded sightings waiting for the store (each holds its crops, about 0.8 MB): while the store cannot
    /// write they are held here, and beyond this the oldest is dropped (counted; lossless runs wait instead).</summary>
    public int StoreQueueCapacity { get; set; } = 128;

    /// <summary>First wait before a failed store write is tried again; it doubles per failure up to <see cref="StoreRetryMaxDelay"/>.</summary>
    public TimeSpan StoreRetryInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between two tries of a failed store write.</summary>
    public TimeSpan StoreRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A stage that fails is restarted this many times, then the pipeline stops.</summary>
    public int MaxRestarts { get; set; } = 3;

    /// <summary>Time given to a graceful stop (Ctrl+C, SIGTERM): cameras stop, queued work is abandoned, stores close.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks <see cref="PipelineOptions"/> once, at start.</summary>
internal sealed class PipelineOptionsValidator : IValidateOptions<PipelineOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        const string s = PipelineOptions.SectionName;
        var errors = new OptionErrors();
        errors.Check(options.DetectionFpsPerCamera is > 0 and <= 240, $"{s}:DetectionFpsPerCamera", options.DetectionFpsPerCamera, "above 0, at most 240");
        errors.Check(options.DetectionBatchSize is >= 1 and <= 64, $"{s}:DetectionBatchSize", options.DetectionBatchSize, "1 to 64");
        errors.Check(options.DetectionBatchWait >= TimeSpan.Zero && options.DetectionBatchWait <= TimeSpan.FromSeconds(1),
            $"{s}:DetectionBatchWait", options.DetectionBatchWait, "00:00:00 to 00:00:01");
        errors.Check(options.DetectionQueueCapacity is >= 1 and <= 1024, $"{s}:DetectionQueueCapacity", options.DetectionQueueCapacity, "1 to 1024");
        errors.Check(options.TrackingQueueCapacity is >= 1 and <= 1024, $"{s}:TrackingQueueCapacity", options.TrackingQueueCapacity, "1 to 1024");
        errors.Check(options.EncoderBatchSize is >= 1 and <= 1024, $"{s}:EncoderBatchSize", options.EncoderBatchSize, "1 to 1024");
        errors.Check(options.EncoderQueueCapacity is >= 1 and <= 4096, $"{s}:EncoderQueueCapacity", options.EncoderQueueCapacity, "1 to 4096");
        errors.Check(options.StoreQueueCapacity is >= 1 and <= 65536, $"{s}:StoreQueueCapacity", options.StoreQueueCapacity, "1 to 65536");
        errors.Check(options.StoreRetryInitialDelay >= TimeSpan.FromMilliseconds(10) && options.StoreRetryInitialDelay <= TimeSpan.FromMinutes(10),
            $"{s}:StoreRetryInitialDelay", options.StoreRetryInitialDelay, "00:00:00.010 to 00:10:00");
        errors.Check(options.StoreRetryMaxDelay >= options.StoreRetryInitialDelay && options.StoreRetryMaxDelay <= TimeSpan.FromHours(1),
            $"{s}:StoreRetryMaxDelay", options.StoreRetryMaxDelay, "from Pipeline:StoreRetryInitialDelay to 01:00:00");
        errors.Check(options.MaxRestarts is >= 0 and <= 100, $"{s}:MaxRestarts", options.MaxRestarts, "0 to 100");
        errors.Check(options.ShutdownTimeout >= TimeSpan.FromSeconds(1) && options.ShutdownTimeout <= TimeSpan.FromMinutes(10),
            $"{s}:ShutdownTimeout", options.ShutdownTimeout, "00:00:01 to 00:10:00");
        return errors.ToResult();
    }
}
