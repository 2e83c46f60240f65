using ReId.Host.Configuration;
using ReId.Host.Pipeline;
using ReId.Search;

namespace ReId.Host.Http;

/// <summary>What the HTTP API reads from the running service.</summary>
internal sealed class ServiceContext(
    Func<IReadOnlyList<CameraStatus>> cameras,
    PipelineMetrics metrics,
    ISightingRepository store,
    EmbedderSlot embedder,
    WhereElseDefaults whereElse,
    HttpOptions http)
{
    public IReadOnlyList<CameraStatus> Cameras => cameras();
    public PipelineMetrics Metrics { get; } = metrics;
    public ISightingRepository Store { get; } = store;
    public EmbedderSlot Embedder { get; } = embedder;
    public WhereElseDefaults WhereElse { get; } = whereElse;
    public HttpOptions Http { get; } = http;

    /// <summary>The linker's lowest similarity (Search:Linking:MinSimilarity), said by /api/info for the page's threshold.</summary>
    public float LinkingMinSimilarity { get; init; } = new LinkingOptions().MinSimilarity;

    /// <summary>What readiness (/healthz/ready) reads beyond this context; null: no store or camera checks.</summary>
    public ReadinessSources? Readiness { get; init; }

    /// <summary>The store's bytes on this machine's disk, for /metrics (null: not known).</summary>
    public Func<long?> StoreBytes { get; init; } = () => null;

    /// <summary>Set when the pipeline stopped for good; /healthz then reports it.</summary>
    public string? PipelineError { get; set; }

    /// <summary>True while the pipeline still runs (false after file cameras ended, as in the demo).</summary>
    public bool PipelineRunning { get; set; }
}
