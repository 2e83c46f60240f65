using Microsoft.Extensions.Logging;
using ReId.ReidEncoder;
using ReId.Host.Pipeline.Adapters;

namespace ReId.Host.Pipeline;

/// <summary>
/// Watches the encoder model file; when it changes, loads it beside the running one and swaps it in, then
/// re-embeds in the background the stored sightings whose crops were kept. A file that fails to load leaves the
/// running model in place.
/// </summary>
internal sealed partial class ModelWatcher : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private readonly ReidEncoderOptions _section;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Func<ReidEncoderOptions, ILoggerFactory, ITrackletEmbedder> _factory;
    private readonly EmbedderSlot _slot;
    private readonly SearchRepository _repository;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher _watcher;
    private readonly CancellationTokenSource _stop;
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private Timer? _debounce;

    public ModelWatcher(
        ReidEncoderOptions section, ILoggerFactory loggerFactory, Func<ReidEncoderOptions, ILoggerFactory, ITrackletEmbedder> factory,
        EmbedderSlot slot, SearchRepository repository, CancellationToken cancellationToken)
    {
        _section = section;
        _loggerFactory = loggerFactory;
        _factory = factory;
        _slot = slot;
        _repository = repository;
        _logger = loggerFactory.CreateLogger<ModelWatcher>();
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var full = WatchedFile(section) ?? throw new ArgumentException("the untrained default has no model file to watch", nameof(section));
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => Schedule();
        _watcher.Created += (_, _) => Schedule();
        _watcher.Renamed += (_, _) => Schedule();
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>
    /// The file a model setting loads: the shipped trained default for an empty or <c>default</c> setting (replacing
    /// that file is picked up too), the named file otherwise; null for <c>untrained</c>, which has none.
    /// </summary>
    public static string? WatchedFile(ReidEncoderOptions section)
    {
        var setting = section.ModelPath?.Trim();
        if (string.Equals(setting, DefaultEncoderModel.Untrained, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Path.GetFullPath(DefaultEncoderModel.IsKeyword(setting) ? DefaultEncoderModel.ShippedPath() : setting!);
    }

    /// <summary>The last background re-embedding, for callers that wait for it (tests, the demo).</summary>
    public Task Reembedding { get; private set; } = Task.CompletedTask;

    // A copy in progress raises several events: load once the file has been quiet for a moment.
    private void Schedule()
    {
        var timer = new Timer(_ => _ = ReloadAsync(_stop.Token), null, Settle, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _debounce, timer)?.Dispose();
    }

    /// <summary>Loads the model file now and swaps it in; returns false when it could not be loaded.</summary>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken = default)
    {
        await _reloading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var old = _slot.ModelVersion;
            ITrackletEmbedder loaded;
            try
            {
                loaded = await Task.Run(() => _factory(_section, _loggerFactory), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReloadFailed(_section.ModelPath ?? "", old, e.Message);
                return false;
            }

            try
            {
                StageChecks.EmbeddingFitsStore(loaded, _repository.Dimension);
            }
            catch (InvalidOperationException e)
            {
                await loaded.DisposeAsync().ConfigureAwait(false);
                LogReloadFailed(_section.ModelPath ?? "", old, e.Message);
                return false;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReloadFailed(_section.ModelPath ?? "", old, e.Message);
                return false;
            }

            if (loaded.ModelVersion == old)
            {
                await loaded.DisposeAsync().ConfigureAwait(false);
                return true;
            }

            _slot.Swap(loaded);
            LogReloaded(old, loaded.ModelVersion);
            Reembedding = Task.Run(() => ReembedAsync(loaded.ModelVersion, _stop.Token), CancellationToken.None);
            return true;
        }
        finally
        {
            _reloading.Release();
        }
    }

    private async Task ReembedAsync(string version, CancellationToken cancellationToken)
    {
        var done = 0;
        try
        {
            // One pass over the older models' sightings (the store's cursor), 32 tracklets per encoder call.
            await foreach (var stale in _repository.StaleAsync(version, cancellationToken).Chunk(32).ConfigureAwait(false))
            {
                if (_slot.ModelVersion != version)
                {
                    break;
                }

                using var lease = _slot.Acquire();
                if (lease.Embedder.ModelVersion != version)
                {
                    break;
                }

                var embeddings = await lease.Embedder.EmbedAsync([.. stale.Select(s => s.Crops)], cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < stale.Length; i++)
                {
                    await _repository.ReplaceEmbeddingAsync(stale[i].Id, embeddings[i], version, cancellationToken).ConfigureAwait(false);
                }

                done += stale.Length;
            }

            LogReembedded(done, version);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogReembedFailed(version, done, e);
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _debounce?.Dispose();
        _stop.Cancel();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "encoder model {Old} replaced by {New}; re-embedding stored sightings in the background")]
    private partial void LogReloaded(string old, string @new);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "the encoder model file {Path} could not be loaded; model {Current} stays in use: {Error}")]
    private partial void LogReloadFailed(string path, string current, string error);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "{Count} stored sightings re-embedded with model {Version}")]
    private partial void LogReembedded(int count, string version);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "re-embedding with model {Version} stopped after {Count} sightings")]
    private partial void LogReembedFailed(string version, int count, Exception error);
}
