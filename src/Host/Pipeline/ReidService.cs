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
    private readonly ILogger _logger;
    private readonly List<ICameraSource> _cameras;
    private readonly IPersonDetector _detector;
    private readonly SearchRepository _repository;
    private ModelWatcher? _watcher;
    private WebServer? _web;

    private ReidService(
        ServiceSettings options, ILoggerFactory loggerFactory, List<ICameraSource> cameras, IPersonDetector detector,
        EmbedderSlot embedder, SearchRepository repository, TimeProvider time)
    {
        Options = options;
        LoggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("ReId.Host");
        _cameras = cameras;
        _detector = detector;
        Embedder = embedder;
        _repository = repository;
        Pipeline = new ReidPipeline(
            cameras, detector, id => TrackerRegistry.Create(id, options.Tracking),
            embedder, repository, options.Pipeline, loggerFactory.CreateLogger<ReidPipeline>(), time, options.Lossless);
        Context = new ServiceContext(() => [.. _cameras.Select(c => c.Status)], Pipeline.Metrics, repository, embedder, options.Search.WhereElse, options.Http);
    }

    public ServiceSettings Options { get; }
    public ILoggerFactory LoggerFactory { get; }
    public ReidPipeline Pipeline { get; }
    public ServiceContext Context { get; }
    public EmbedderSlot Embedder { get; }
    public ISightingRepository Repository => _repository;
    public string DetectorDescription => _detector.Description;
    public Uri? WebAddress => _web?.Address;

    /// <summary>Builds every part; a part that cannot start throws with a message that names the cause.</summary>
    public static ReidService Create(
        ServiceSettings options, ILoggerFactory loggerFactory, Func<ReidEncoderOptions, ILoggerFactory, ITrackletEmbedder> encoderFactory,
        TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var cameras = new List<ICameraSource>();
        IPersonDetector? detector = null;
        EmbedderSlot? embedder = null;
        try
        {
            foreach (var c in options.Cameras)
            {
                cameras.Add(new Camera(c, loggerFactory.CreateLogger<Camera>(), time));
            }

            detector = DetectorRegistry.Create(options.Detection, loggerFactory);
            var encoder = encoderFactory(options.Encoder, loggerFactory);
            embedder = new EmbedderSlot(encoder);
            StageChecks.EmbeddingFitsStore(encoder, Sighting.Dimension);
            var store = options.Search.OpenStore(time, loggerFactory);
            var slot = embedder;
            var repository = new SearchRepository(store, options.Search, () => slot.ModelVersion, time, loggerFactory);
            return new ReidService(options, loggerFactory, cameras, detector, embedder, repository, time);
        }
        catch
        {
            detector?.Dispose();
            // Nothing has run yet: the encoder and cameras hold no work, only their resources.
            _ = embedder?.DisposeAsync().AsTask();
            foreach (var c in cameras)
            {
                _ = c.DisposeAsync().AsTask();
            }

            throw;
        }
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
        if (!Options.Encoder.WatchModelFile || ReId.ReidEncoder.DefaultEncoderModel.IsKeyword(Options.Encoder.ModelPath))
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

        foreach (var c in _cameras)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }

        _detector.Dispose();
        await Embedder.DisposeAsync().ConfigureAwait(false);
        await _repository.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Critical, Message = "the pipeline stopped: {Error}")]
    private partial void LogPipelineFailed(string error);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "retention: {Sightings} sightings older than {SightingMaxAge} and {Crops} crops older than {CropMaxAge} deleted")]
    private partial void LogPurged(int sightings, int crops, TimeSpan sightingMaxAge, TimeSpan cropMaxAge);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "listening on {Address} ({Key})")]
    private partial void LogListening(string address, string key);
}
