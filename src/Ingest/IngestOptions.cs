using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ReId.Ingest;

/// <summary>The service's cameras: the configuration's <c>Cameras</c> list.</summary>
public sealed class IngestOptions
{
    /// <summary>The configuration section (a list).</summary>
    public const string SectionName = "Cameras";

    /// <summary>Every camera, in configuration order.</summary>
    public List<CameraOptions> Cameras { get; } = [];

    /// <summary>Checks the camera list: every camera's values, unique ids, existing files.</summary>
    internal void Validate(OptionErrors errors)
    {
        var options = this;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Cameras.Count; i++)
        {
            var camera = options.Cameras[i];
            var key = $"{IngestOptions.SectionName}:{i}";
            camera.Validate(errors, key);
            errors.Check(ids.Add(camera.Id), $"{key}:Id", camera.Id, "a camera id used only once");
            if (!string.IsNullOrWhiteSpace(camera.Url) && !camera.Url.Contains("://", StringComparison.Ordinal))
            {
                errors.Check(File.Exists(camera.Url), $"{key}:Url", camera.Url, "an existing video file (or an rtsp:// URL)");
            }
        }
    }
}

/// <summary>Registers the Ingest stage.</summary>
public static class IngestServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="IngestOptions"/> from the <c>Cameras</c> list of <paramref name="configuration"/> (unknown
    /// keys are errors) and validates it once, at start.
    /// </summary>
    public static OptionsBuilder<IngestOptions> AddIngest(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(IngestOptions.SectionName);
        return services.AddValidatedOptions<IngestOptions>(
            o => section.Bind(o.Cameras, b => b.ErrorOnUnknownConfiguration = true), (o, e) => o.Validate(e));
    }

    /// <summary>
    /// Registers the stage's services over <see cref="IngestOptions"/> (bound by <see cref="AddIngest"/> or given):
    /// the <see cref="CameraSet"/>, whose cameras the container disposes with it.
    /// </summary>
    public static IServiceCollection AddIngestServices(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CameraSet>();
        return services;
    }
}

/// <summary>One <see cref="Camera"/> per entry of <see cref="IngestOptions.Cameras"/>; disposing the set disposes them.</summary>
public sealed class CameraSet : IAsyncDisposable
{
    private readonly List<Camera> _cameras = [];

    public CameraSet(IOptions<IngestOptions> options, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var c in options.Value.Cameras)
        {
            _cameras.Add(new Camera(c, loggerFactory?.CreateLogger<Camera>(), time));
        }
    }

    /// <summary>The cameras, in configuration order.</summary>
    public IReadOnlyList<Camera> Cameras => _cameras;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var c in _cameras)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
    }
}
