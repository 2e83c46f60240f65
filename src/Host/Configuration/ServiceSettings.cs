using ReId.Detection;
using ReId.Host.Pipeline;
using ReId.Ingest;
using ReId.ReidEncoder;
using ReId.Search;
using ReId.Tracking;

namespace ReId.Host.Configuration;

/// <summary>
/// The service's configuration: each stage's own options object, as bound and validated by
/// <see cref="ConfigurationLoader"/> (the Host declares none of them again).
/// </summary>
public sealed class ServiceSettings
{
    public IngestOptions Ingest { get; init; } = new();
    public DetectorOptions Detection { get; init; } = new();
    public TrackerOptions Tracking { get; init; } = new();
    public ReidEncoderOptions Encoder { get; init; } = new();
    public SearchOptions Search { get; init; } = new();
    public PipelineOptions Pipeline { get; init; } = new();
    public HttpOptions Http { get; init; } = new();

    /// <summary>The file's Logging section (levels, console formatter), as Microsoft.Extensions.Logging reads it; null when absent.</summary>
    public Microsoft.Extensions.Configuration.IConfigurationSection? Logging { get; set; }

    /// <summary>The cameras.</summary>
    public List<CameraOptions> Cameras => Ingest.Cameras;

    /// <summary>Every camera is a file read fast: the pipeline then waits instead of dropping (nothing is lost).</summary>
    public bool Lossless => Cameras.Count > 0 && Cameras.All(c => c.IsFastFile);
}
