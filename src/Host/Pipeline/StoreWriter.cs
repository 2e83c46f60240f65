using Microsoft.Extensions.Logging;

namespace ReId.Host.Pipeline;

/// <summary>Whether the store takes writes: the last write fault and since when, or null while writes succeed.</summary>
internal sealed record StoreWriteFault(string Error, DateTimeOffset Since, int Attempts);

/// <summary>
/// The store stage: writes embedded sightings to the store one by one. A write that fails for a reason of the store
/// (disk full, I/O error, a store server away) is retried with capped exponential back-off until it succeeds, while
/// the stage's queue holds what comes meanwhile (live cameras: the oldest held sighting is dropped and counted beyond
/// its capacity); the service keeps answering queries on what is stored. A sighting the store refuses as invalid
/// (<see cref="ArgumentException"/>) is dropped and counted as an error instead of blocking every later one.
/// </summary>
internal sealed partial class StoreWriter(
    ISightingRepository store, StageMetrics metrics, TimeSpan initialDelay, TimeSpan maxDelay, ILogger logger, TimeProvider time)
{
    private readonly ILogger _logger = logger;
    private StoreWriteFault? _fault;

    /// <summary>The fault the store is in now, or null while it writes.</summary>
    public StoreWriteFault? Fault => Volatile.Read(ref _fault);

    /// <summary>Writes one sighting, retrying until the store takes it or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <returns>True when stored; false when the store refused this sighting as invalid.</returns>
    public async Task<bool> WriteAsync(PendingSighting sighting, CancellationToken cancellationToken = default)
    {
        var delay = initialDelay;
        var attempts = 0;
        while (true)
        {
            try
            {
                await store.WriteAsync(sighting, cancellationToken).ConfigureAwait(false);
                if (Interlocked.Exchange(ref _fault, null) is { } was)
                {
                    LogResumed(was.Attempts, time.GetUtcNow() - was.Since);
                }

                return true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (ArgumentException e)
            {
                metrics.CountError();
                LogRefused(sighting.Id, e.Message);
                return false;
            }
            catch (Exception e)
            {
                attempts++;
                metrics.CountError();
                var since = Fault?.Since ?? time.GetUtcNow();
                Volatile.Write(ref _fault, new StoreWriteFault(e.Message, since, attempts));
                LogWriteFailed(e.Message, delay, metrics.QueueDepth(), metrics.Dropped);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
            }
        }
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Error,
        Message = "the store cannot write: {Error}; retrying in {Delay} ({Held} sightings held, {Dropped} dropped so far); queries go on")]
    private partial void LogWriteFailed(string error, TimeSpan delay, int held, long dropped);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "the store writes again after {Attempts} failed attempts over {Duration}")]
    private partial void LogResumed(int attempts, TimeSpan duration);

    [LoggerMessage(EventId = 112, Level = LogLevel.Error, Message = "the store refused sighting {Id}; it is dropped: {Error}")]
    private partial void LogRefused(Guid id, string error);
}
