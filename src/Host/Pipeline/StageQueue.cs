using System.Threading.Channels;

namespace ReId.Host.Pipeline;

/// <summary>
/// A bounded queue between two stages that states its policy. <c>dropOldest</c> queues never block the writer
/// (live cameras must not stall): the oldest item is dropped, disposed and counted. The others make the writer
/// wait (back-pressure), used where an item is worth more than a frame (a finished tracklet).
/// </summary>
internal sealed class StageQueue<T>
{
    private readonly Channel<T> _channel;
    private readonly StageMetrics _metrics;
    private readonly bool _dropOldest;

    public StageQueue(int capacity, bool dropOldest, StageMetrics metrics, bool singleReader = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _metrics = metrics;
        _dropOldest = dropOldest;
        var options = new BoundedChannelOptions(capacity)
        {
            FullMode = dropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
            SingleReader = singleReader,
            SingleWriter = false,
        };
        _channel = Channel.CreateBounded<T>(options, dropOldest ? Dropped : null);
        _metrics.QueueDepth = () => _channel.Reader.Count;
    }

    public ChannelReader<T> Reader => _channel.Reader;

    public int Count => _channel.Reader.Count;

    private void Dropped(T item)
    {
        _metrics.CountDrop();
        (item as IDisposable)?.Dispose();
    }

    /// <summary>Queues an item; a drop-oldest queue never waits. A closed queue disposes the item.</summary>
    public async ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
    {
        _metrics.CountIn();
        if (_dropOldest)
        {
            if (!_channel.Writer.TryWrite(item))
            {
                Dropped(item);
            }

            return;
        }

        try
        {
            await _channel.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            (item as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>No more items; the reader ends once it has taken what is queued.</summary>
    public void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);

    /// <summary>Disposes whatever is still queued (after a stop).</summary>
    public void DrainAndDispose()
    {
        while (_channel.Reader.TryRead(out var item))
        {
            (item as IDisposable)?.Dispose();
        }
    }
}
