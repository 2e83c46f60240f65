using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReId.Detection;
using ReId.Host.Configuration;
using ReId.Host.Http;
using ReId.ReidEncoder;
using ReId.Host.Pipeline.Adapters;
using ReId.Ingest;
using ReId.Search;
using ReId.Tracking;

namespace ReId.Host.Pipeline;

/// <summary>The whole service built from its configuration: cameras, stages, store, pipeline, API.</summary>
internal sealed partial class ReidService : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<ICameraSource> _cameras;
    private readonly IPersonDetector _detector;
    private readonly SearchRepository _repository;
    private ModelWatcher? _watcher;
    private WebServer? _web;

    private ReidService(ServiceSettings options, ServiceProvider services)
    {
        Options = options;
        _services = services;
        LoggerFactory = services.GetRequiredService<ILoggerFactory>();
        _logger = LoggerFactory.CreateLogger("ReId.Host");
        // Resolved in dependency order (encoder, store, detector, cameras, pipeline): the container disposes them in
        // the reverse order, the pipeline's users before what they use.
        _repository = services.GetRequiredService<SearchRepository>();
        Embedder = services.GetRequiredService<EmbedderSlot>();
        using (var lease = Embedder.Acquire())
        {
            StageChecks.EmbeddingFitsStore(lease.Embedder, _repository.Dimension);
        }

        _detector = services.GetRequiredService<IPersonDetector>();
        _cameras = services.GetRequiredService<CameraSet>().Cameras;
        Pipeline = services.GetRequiredService<ReidPipeline>();
        Context = services.GetRequiredService<ServiceContext>();
    }

    public ServiceSettings Options { get; }
    public ILoggerFactory LoggerFactory { get; }
    public ReidPipeline Pipeline { get; }
    public ServiceContext Context { get; }
    public EmbedderSlot Embedder { get; }
    public ISightingRepository Repository => _repository;
    public string DetectorDescription => _detector.Description;
    public Uri? WebAddress => _web?.Address;

    /// <summary>
    /// Builds every part in one container: each stage registers its own services (<c>AddIngestServices</c>,
    /// <c>AddDetectionServices</c>, <c>AddTrackingServices</c>, <c>AddSearchServices</c>, the encoder here) over its
    /// options. A part that cannot start throws with a message that names the cause, after what was built is
    /// disposed.
    /// </summary>
    public static async Task<ReidService> CreateAsync(
        ServiceSettings options, ILoggerFactory loggerFactory, Func<ReidEncoderOptions, ILoggerFactory, ITrackletEmbedder> encoderFactory,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        services.AddSingleton(time ?? TimeProvider.System);
        AddServiceParts(services, options, encoderFactory);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        try
        {
            return new ReidService(options, provider);
        }
        catch
        {
            await provider.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The service's parts over already bound options: the stages, the encoder, the store's view, the pipeline.</summary>
    internal static IServiceCollection AddServiceParts(
        IServiceCollection services, ServiceSettings options, Func<ReidEncoderOptions, ILoggerFactory, ITrackletEmbedder> encoderFactory)
    {
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options.Ingest));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options.Detection));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options.Tracking));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options.Search));
        services.AddIngestServices().AddDetectionServices().AddTrackingServices().AddSearchServices();
        services.AddReidEncoder(options.Encoder, encoderFactory);
        services.AddSingleton(sp =>
        {
            var slot = sp.GetRequiredService<EmbedderSlot>();
            return new SearchRepository(sp.GetRequiredService<ISightingStore>(), options.Search, () => slot.ModelVersion,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(), ownsStore: false);
        });
        services.AddSingleton(sp =>
        {
            var trackers = sp.GetRequiredService<TrackerFactory>();
            return new ReidPipeline(
                sp.GetRequiredService<CameraSet>().Cameras, sp.GetRequiredService<IPersonDetector>(), trackers.Create,
                sp.GetRequiredService<EmbedderSlot>(), sp.GetRequiredService<SearchRepository>(), options.Pipeline,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<ReidPipeline>(), sp.GetRequiredService<TimeProvider>(), options.Lossless,
                options.Tracking.StitchMinSimilarity);
        });
        services.AddSingleton(sp =>
        {
            var cameras = sp.GetRequiredService<CameraSet>().Cameras;
            var pipeline = sp.GetRequiredService<ReidPipeline>();
            return new ServiceContext(() => [.. cameras.Select(c => c.Status)], pipeline.Metrics,
                sp.GetRequiredService<SearchRepository>(), sp.GetRequiredService<EmbedderSlot>(), options.Search.WhereElse, options.Http)
            {
                LinkingMinSimilarity = options.Search.Linking.MinSimilarity,
                Readiness = new ReadinessSources(pipeline.StoreWriter, options.Cameras.ToDictionary(c => c.Id, c => c.StallTimeout, StringComparer.Ordinal),
                    sp.GetRequiredService<TimeProvider>()),
                StoreBytes = options.Search.LocalStoreBytes,
            };
        });
        return services;
    }

    /// <summary>Runs the pipeline until its sources end or it is stopped; a failure is kept for /healthz.</summary>
    public async Task RunPipelineAsync(CancellationToken cancellationToken = default)
    {
        Context.PipelineRunning = true;
        try
        {
            await Pipeline.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PipelineFailedException e)
        {
            Context.PipelineError = e.Message;
            LogPipelineFailed(e.Message);
            throw;
        }
        finally
        {
            Context.PipelineRunning = false;
        }
    }

    /// <exception cref="IOException">The address cannot be listened on (e.g. the port is taken); the message says which.</exception>
    public async Task<Uri> StartWebAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            _web = await WebServer.StartAsync(Context, LoggerFactory, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new IOException($"cannot listen on {Options.Http.Address}:{Options.Http.Port} (Http:Address, Http:Port): {e.Message}", e);
        }

        LogListening(_web.Address.ToString(), string.IsNullOrEmpty(Options.Http.ApiKey) ? "no API key" : "API key required");
        return _web.Address;
    }

    /// <summary>Loads a changed encoder model file into the running service (new sightings carry its version).</summary>
    public void WatchEncoderModel(Func<ReidEncoderOptions, ILoggerFactory, ITrackletEmbedder> encoderFactory, CancellationToken cancellationToken = default)
    {
        // The shipped default is watched too (where its folder exists); the untrained default has no file.
        if (!Options.Encoder.WatchModelFile || ModelWatcher.WatchedFile(Options.Encoder) is not { } file || !Directory.Exists(Path.GetDirectoryName(file)))
        {
            return;
        }

        _watcher = new ModelWatcher(Options.Encoder, LoggerFactory, encoderFactory, Embedder, _repository, cancellationToken);
    }

    /// <summary>Deletes sightings and kept crops older than Search:Retention's ages, now and every Search:Retention:Interval.</summary>
    public async Task RunRetentionAsync(TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        time ??= TimeProvider.System;
        var options = Options.Search.Retention;
        var retention = new Retention(_repository.Store, options, time);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var purged = await retention.PurgeAsync(cancellationToken).ConfigureAwait(false);
                LogPurged(purged.Sightings, purged.Crops, options.SightingMaxAge, options.CropMaxAge);
                await Task.Delay(options.Interval, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _watcher?.Dispose();
        if (_web is not null)
        {
            await _web.DisposeAsync().ConfigureAwait(false);
        }

        // The pipeline's parts, in the reverse order of their creation.
        await _services.DisposeAsync().ConfigureAwait(false);
        Pipeline.Metrics.Dispose();
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Critical, Message = "the pipeline stopped: {Error}")]
    private partial void LogPipelineFailed(string error);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "retention: {Sightings} sightings older than {SightingMaxAge} and {Crops} crops older than {CropMaxAge} deleted")]
    private partial void LogPurged(int sightings, int crops, TimeSpan sightingMaxAge, TimeSpan cropMaxAge);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "listening on {Address} ({Key})")]
    private partial void LogListening(string address, string key);
}
