using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

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

/// <summary>Latencies in milliseconds: count and sum forever, quantiles over the most recent values.</summary>
internal sealed class LatencyRecorder(int window = 4096)
{
    private readonly double[] _recent = new double[window];
    private readonly Lock _lock = new();
    private long _count;
    private double _sum;

    public void Record(double milliseconds)
    {
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

/// <summary>Everything the pipeline counts, shown at /metrics and by the commands' summaries.</summary>
internal sealed class PipelineMetrics
{
    public StageMetrics Ingest { get; } = new("ingest");
    public StageMetrics Detection { get; } = new("detection");
    public StageMetrics Tracking { get; } = new("tracking");
    public StageMetrics Encoder { get; } = new("encoder");
    public StageMetrics Store { get; } = new("store");

    /// <summary>Frame capture (arrival in the service) to stored sighting, for the frame that ended the track.</summary>
    public LatencyRecorder FrameToSighting { get; } = new();
    public LatencyRecorder DetectionBatch { get; } = new();

    /// <summary>Frames taken by the detector, per camera (the detection rate per camera comes from it).</summary>
    public ConcurrentDictionary<string, long> DetectedFrames { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> SkippedFrames { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> Tracklets { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> Sightings { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> FrameDrops { get; } = new(StringComparer.Ordinal);

    public IEnumerable<StageMetrics> Stages => [Ingest, Detection, Tracking, Encoder, Store];

    public static void Add(ConcurrentDictionary<string, long> counters, string camera, long n = 1) =>
        counters.AddOrUpdate(camera, n, (_, v) => v + n);

    /// <summary>The per-stage series of the Prometheus text: name, type, help and the stage's value.</summary>
    private static readonly (string Name, string Type, string Help, Func<StageMetrics, double> Value)[] StageSeries =
    [
        ("reid_stage_items_in_total", "counter", "Items given to a stage.", s => s.In),
        ("reid_stage_items_out_total", "counter", "Items a stage produced.", s => s.Out),
        ("reid_stage_dropped_total", "counter", "Items dropped at a stage's full input queue.", s => s.Dropped),
        ("reid_stage_errors_total", "counter", "Failures inside a stage.", s => s.Errors),
        ("reid_stage_restarts_total", "counter", "Times a failed stage was restarted.", s => s.Restarts),
        ("reid_stage_queue_depth", "gauge", "Items waiting in a stage's input queue.", s => s.QueueDepth()),
    ];

    /// <summary>Prometheus text exposition format (version 0.0.4).</summary>
    public string ToPrometheus(IEnumerable<CameraStatus> cameras, string modelVersion)
    {
        var sb = new StringBuilder();
        foreach (var (name, type, help, value) in StageSeries)
        {
            Header(sb, name, type, help);
            foreach (var s in Stages)
            {
                Line(sb, name, $"stage=\"{s.Name}\"", value(s));
            }
        }

        var statuses = cameras.ToList();
        Header(sb, "reid_camera_frames_total", "counter", "Frames a camera delivered.");
        foreach (var c in statuses)
        {
            Line(sb, "reid_camera_frames_total", Cam(c.CameraId), c.FramesDelivered);
        }

        Header(sb, "reid_camera_dropped_total", "counter", "Frames dropped by a camera or at the detector's queue.");
        foreach (var c in statuses)
        {
            Line(sb, "reid_camera_dropped_total", Cam(c.CameraId), c.FramesDropped + FrameDrops.GetValueOrDefault(c.CameraId));
        }

        Header(sb, "reid_camera_fps", "gauge", "Measured frames per second of a camera.");
        foreach (var c in statuses)
        {
            Line(sb, "reid_camera_fps", Cam(c.CameraId), c.Fps);
        }

        Header(sb, "reid_camera_up", "gauge", "1 while a camera is streaming.");
        foreach (var c in statuses)
        {
            Line(sb, "reid_camera_up", Cam(c.CameraId), c.State == CameraState.Streaming ? 1 : 0);
        }

        Header(sb, "reid_detected_frames_total", "counter", "Frames given to the detector.");
        foreach (var (camera, n) in DetectedFrames)
        {
            Line(sb, "reid_detected_frames_total", Cam(camera), n);
        }

        Header(sb, "reid_sightings_total", "counter", "Sightings stored.");
        foreach (var (camera, n) in Sightings)
        {
            Line(sb, "reid_sightings_total", Cam(camera), n);
        }

        Header(sb, "reid_frame_to_sighting_ms", "summary", "Milliseconds from a frame's arrival to its stored sighting.");
        foreach (var q in new[] { 0.5, 0.95 })
        {
            var v = FrameToSighting.Quantile(q);
            Line(sb, "reid_frame_to_sighting_ms", $"quantile=\"{q.ToString(CultureInfo.InvariantCulture)}\"", double.IsNaN(v) ? double.NaN : v);
        }

        var (count, sum) = FrameToSighting.Totals;
        Line(sb, "reid_frame_to_sighting_ms_sum", null, sum);
        Line(sb, "reid_frame_to_sighting_ms_count", null, count);

        Header(sb, "reid_encoder_model_info", "gauge", "The encoder model version in use.");
        Line(sb, "reid_encoder_model_info", $"version=\"{Escape(modelVersion)}\"", 1);
        return sb.ToString();
    }

    private static string Cam(string id) => $"camera=\"{Escape(id)}\"";

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder sb, string name, string? labels, double value)
    {
        sb.Append(name);
        if (labels is not null)
        {
            sb.Append('{').Append(labels).Append('}');
        }

        sb.Append(' ').Append(double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }
}
