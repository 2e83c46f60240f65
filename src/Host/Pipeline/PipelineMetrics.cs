using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ReId.Host.Pipeline;

/// <summary>Counters of one stage: items in and out, drops, errors, restarts, and its input queue's depth.</summary>
internal sealed class StageMetrics(string name)
{
    private long _in;
    private long _out;
    private long _dropped;
    private long _errors;
    private long _restarts;

    public string Name { get; } = name;
    public long In => Interlocked.Read(ref _in);
    public long Out => Interlocked.Read(ref _out);
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Errors => Interlocked.Read(ref _errors);
    public long Restarts => Interlocked.Read(ref _restarts);
    public Func<int> QueueDepth { get; set; } = () => 0;

    public void CountIn() => Interlocked.Increment(ref _in);
    public void CountOut(long n = 1) => Interlocked.Add(ref _out, n);
    public void CountDrop() => Interlocked.Increment(ref _dropped);
    public void CountError() => Interlocked.Increment(ref _errors);
    public void CountRestart() => Interlocked.Increment(ref _restarts);
}

/// <summary>
/// Latencies in milliseconds: count and sum forever, quantiles over the most recent values (for the commands), each
/// also recorded in seconds into <paramref name="histogram"/> with <paramref name="tags"/> (for /metrics).
/// </summary>
internal sealed class LatencyRecorder(Histogram<double> histogram, params KeyValuePair<string, object?>[] tags)
{
    private const int Window = 4096;
    private readonly double[] _recent = new double[Window];
    private readonly Lock _lock = new();
    private long _count;
    private double _sum;

    public void Record(double milliseconds)
    {
        histogram.Record(milliseconds / 1000, tags);
        lock (_lock)
        {
            _recent[_count % _recent.Length] = milliseconds;
            _count++;
            _sum += milliseconds;
        }
    }

    public (long Count, double Sum) Totals
    {
        get
        {
            lock (_lock)
            {
                return (_count, _sum);
            }
        }
    }

    /// <summary>The q-quantile (0..1) of the recent window; NaN when nothing was recorded.</summary>
    public double Quantile(double q)
    {
        double[] copy;
        lock (_lock)
        {
            var n = (int)Math.Min(_count, _recent.Length);
            if (n == 0)
            {
                return double.NaN;
            }

            copy = _recent[..n];
        }

        Array.Sort(copy);
        var index = (int)Math.Clamp(Math.Ceiling(q * copy.Length) - 1, 0, copy.Length - 1);
        return copy[index];
    }
}

/// <summary>
/// Everything the pipeline counts, for the commands' summaries and, as <see cref="System.Diagnostics.Metrics"/>
/// instruments of the meter <see cref="MeterName"/>, for /metrics (<see cref="MetricsExport"/>). Counters stay plain
/// fields on the hot paths; the instruments observe them when scraped. Latencies are histograms in seconds.
/// </summary>
internal sealed class PipelineMetrics : IDisposable
{
    /// <summary>The meter's name, the prefix of every instrument's Prometheus name (<c>reid_...</c>).</summary>
    public const string MeterName = "reid";

    /// <summary>Bucket bounds of the latency histograms, in seconds: 1 ms to 30 s.</summary>
    public static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Histogram<double> _stageLatency;
    private Func<IReadOnlyList<CameraStatus>> _cameras = () => [];
    private Func<string> _modelVersion = () => "";
    private long _encoderBatches;
    private long _encoderCrops;
    private Func<long?> _storeSightings = () => null;
    private Func<long?> _storeBytes = () => null;

    public PipelineMetrics()
    {
        Meter = new Meter(MeterName);
        _stageLatency = Meter.CreateHistogram<double>("stage_latency_seconds", "s",
            "Time a stage took for one unit of work: a detector batch, a tracker update, an encoder batch, a store write.");
        FrameToSighting = new LatencyRecorder(Meter.CreateHistogram<double>("frame_to_sighting_seconds", "s",
            "Time from a frame's arrival in the service to the stored sighting of the track it ended."));
        DetectionBatch = new LatencyRecorder(_stageLatency, new KeyValuePair<string, object?>("stage", "detection"));

        ObserveStages("stage_items_in_total", "Items given to a stage.", s => s.In, counter: true);
        ObserveStages("stage_items_out_total", "Items a stage produced.", s => s.Out, counter: true);
        ObserveStages("stage_dropped_total", "Items dropped at a stage's full input queue.", s => s.Dropped, counter: true);
        ObserveStages("stage_errors_total", "Failures inside a stage.", s => s.Errors, counter: true);
        ObserveStages("stage_restarts_total", "Times a failed stage was restarted.", s => s.Restarts, counter: true);
        ObserveStages("stage_queue_depth", "Items waiting in a stage's input queue.", s => s.QueueDepth(), counter: false);

        ObserveCameras("camera_frames_total", "Frames a camera delivered.", c => c.FramesDelivered);
        ObserveCameras("camera_dropped_frames_total", "Frames dropped by a camera or at the detector's full queue.",
            c => c.FramesDropped + FrameDrops.GetValueOrDefault(c.CameraId));
        ObserveCameras("camera_reconnects_total", "Times a camera reconnected after its stream failed or stalled.", c => c.Reconnects);
        Meter.CreateObservableGauge("camera_fps", () => _cameras().Select(c => Measure(c.Fps, ("camera", c.CameraId))),
            "{frame}/s", "Frames a second a camera delivers, as measured.");
        Meter.CreateObservableGauge("camera_state", CameraStates, null,
            "1 for the state a camera is in (connecting, streaming, reconnecting, failed, stopped), 0 for the others.");

        ObservePerCamera("detected_frames_total", "Frames given to the detector.", DetectedFrames);
        ObservePerCamera("skipped_frames_total", "Frames not detected in, to keep Pipeline:DetectionFpsPerCamera.", SkippedFrames);
        ObservePerCamera("tracklets_total", "Finished tracks handed to the encoder.", Tracklets);
        ObservePerCamera("sightings_total", "Sightings stored.", Sightings);
        Meter.CreateObservableCounter("encoder_batches_total", () => Interlocked.Read(ref _encoderBatches), null, "Batches the encoder ran.");
        Meter.CreateObservableCounter("encoder_crops_total", () => Interlocked.Read(ref _encoderCrops), "{crop}",
            "Crops the encoder embedded (crops a second: rate() of this).");
        Meter.CreateObservableGauge("store_sightings", () => Read(_storeSightings), "{sighting}", "Sightings in the store (all cameras, every model version).");
        Meter.CreateObservableGauge("store_bytes", () => Read(_storeBytes), "By",
            "Bytes the store takes on this machine's disk (the embedded store's folder; with Qdrant its local side store).");
        Meter.CreateObservableGauge("encoder_model_info", () => Measure(1, ("version", _modelVersion())), null, "The encoder model version in use.");
    }

    /// <summary>The meter of this pipeline's instruments (one per pipeline: a process may run several, as the tests do).</summary>
    public Meter Meter { get; }

    public StageMetrics Ingest { get; } = new("ingest");
    public StageMetrics Detection { get; } = new("detection");
    public StageMetrics Tracking { get; } = new("tracking");
    public StageMetrics Encoder { get; } = new("encoder");
    public StageMetrics Store { get; } = new("store");

    /// <summary>Frame capture (arrival in the service) to stored sighting, for the frame that ended the track.</summary>
    public LatencyRecorder FrameToSighting { get; }
    public LatencyRecorder DetectionBatch { get; }

    /// <summary>Frames taken by the detector, per camera (the detection rate per camera comes from it).</summary>
    public ConcurrentDictionary<string, long> DetectedFrames { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> SkippedFrames { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> Tracklets { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> Sightings { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> FrameDrops { get; } = new(StringComparer.Ordinal);

    public IEnumerable<StageMetrics> Stages => [Ingest, Detection, Tracking, Encoder, Store];

    public static void Add(ConcurrentDictionary<string, long> counters, string camera, long n = 1) =>
        counters.AddOrUpdate(camera, n, (_, v) => v + n);

    /// <summary>The cameras, the model version and the store's size the per-camera, model and store instruments report (read at each scrape).</summary>
    public void Observe(Func<IReadOnlyList<CameraStatus>> cameras, Func<string> modelVersion, Func<long?> storeSightings, Func<long?>? storeBytes = null)
    {
        _cameras = cameras;
        _modelVersion = modelVersion;
        _storeSightings = storeSightings;
        _storeBytes = storeBytes ?? (() => null);
    }

    /// <summary>One unit of work of <paramref name="stage"/> took <paramref name="elapsed"/>.</summary>
    public void RecordStageLatency(StageMetrics stage, TimeSpan elapsed) =>
        _stageLatency.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage.Name));

    /// <summary>The encoder embedded <paramref name="crops"/> crops in one batch.</summary>
    public void CountEncoderBatch(int crops)
    {
        Interlocked.Increment(ref _encoderBatches);
        Interlocked.Add(ref _encoderCrops, crops);
    }

    public void Dispose() => Meter.Dispose();

    private static Measurement<double> Measure(double value, params (string Key, string Value)[] tags) =>
        new(value, tags.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value)));

    private void ObserveStages(string name, string help, Func<StageMetrics, double> value, bool counter)
    {
        IEnumerable<Measurement<double>> Observe() => Stages.Select(s => Measure(value(s), ("stage", s.Name)));
        if (counter)
        {
            Meter.CreateObservableCounter(name, Observe, null, help);
        }
        else
        {
            Meter.CreateObservableGauge(name, Observe, null, help);
        }
    }

    private void ObserveCameras(string name, string help, Func<CameraStatus, double> value) =>
        Meter.CreateObservableCounter(name, () => _cameras().Select(c => Measure(value(c), ("camera", c.CameraId))), null, help);

    private void ObservePerCamera(string name, string help, ConcurrentDictionary<string, long> counters) =>
        Meter.CreateObservableCounter(name, () => counters.Select(p => Measure(p.Value, ("camera", p.Key))), null, help);

    private IEnumerable<Measurement<double>> CameraStates() =>
        _cameras().SelectMany(c => Enum.GetValues<CameraState>().Select(state =>
            Measure(c.State == state ? 1 : 0, ("camera", c.CameraId), ("state", state.ToString().ToLowerInvariant()))));

    private static IEnumerable<Measurement<double>> Read(Func<long?> store)
    {
        try
        {
            return store() is { } value ? [new Measurement<double>(value)] : [];
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or IOException)
        {
            // the store is closing or unreachable: no value rather than a failed scrape
            return [];
        }
    }
}
