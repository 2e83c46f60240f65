using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace ReId.Ingest;

/// <summary>
/// The queue between a camera and its consumer. Policy: bounded to <c>capacity</c> frames, one writer, one reader;
/// when full, either the oldest frame is dropped, counted and its buffer returned, so a live camera never waits for a
/// slow consumer and memory stays flat, or (back-pressure, for files read fast) the writer waits for the consumer. Shutdown: <see cref="Complete"/> ends the reader after the frames still queued;
/// <see cref="DisposeQueued"/> returns the buffers of frames nobody will read.
/// </summary>
internal sealed class FrameQueue
{
    private readonly Channel<VideoFrame> _channel;
    private long _dropped;
    private long _delivered;

    public FrameQueue(int capacity, QueueFullMode whenFull = QueueFullMode.DropOldest)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        WhenFull = whenFull;
        _channel = Channel.CreateBounded<VideoFrame>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = whenFull == QueueFullMode.Wait ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest,
                SingleWriter = true,
                SingleReader = true,
                AllowSynchronousContinuations = false,
            },
            OnDropped);
        Reader = new CountingReader(this, _channel.Reader);
    }

    public int Capacity { get; }

    public QueueFullMode WhenFull { get; }

    /// <summary>Frames dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Frames taken by the consumer.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    public ChannelReader<VideoFrame> Reader { get; }

    /// <summary>
    /// Queues a frame; when full, drops the oldest one, or in <see cref="QueueFullMode.Wait"/> blocks the calling
    /// (decoder) thread until the consumer takes a frame. False (frame disposed) after <see cref="Complete"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting (the frame is disposed).</exception>
    public bool Publish(VideoFrame frame, CancellationToken cancellationToken = default)
    {
        // With DropOldest, TryWrite succeeds even when it dropped a frame (reported through OnDropped).
        while (!_channel.Writer.TryWrite(frame))
        {
            bool open;
            try
            {
                // Only reached in Wait mode (or once completed); the decoder thread is a dedicated one, so it blocks.
                open = WhenFull == QueueFullMode.Wait &&
                       _channel.Writer.WaitToWriteAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                frame.Dispose();
                throw;
            }

            if (!open)
            {
                frame.Dispose();
                return false;
            }
        }

        return true;
    }

    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Returns the buffers of frames still queued; for a consumer that has stopped reading.</summary>
    public void DisposeQueued()
    {
        while (_channel.Reader.TryRead(out var frame))
        {
            frame.Dispose();
        }
    }

    private void OnDropped(VideoFrame frame)
    {
        Interlocked.Increment(ref _dropped);
        frame.Dispose();
    }

    /// <summary>The channel's reader, counting what the consumer takes.</summary>
    private sealed class CountingReader(FrameQueue queue, ChannelReader<VideoFrame> inner) : ChannelReader<VideoFrame>
    {
        public override Task Completion => inner.Completion;

        public override bool CanCount => inner.CanCount;

        public override int Count => inner.Count;

        public override bool CanPeek => inner.CanPeek;

        public override bool TryRead([MaybeNullWhen(false)] out VideoFrame item)
        {
            if (!inner.TryRead(out item))
            {
                return false;
            }

            Interlocked.Increment(ref queue._delivered);
            return true;
        }

        public override bool TryPeek([MaybeNullWhen(false)] out VideoFrame item) => inner.TryPeek(out item);

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
            inner.WaitToReadAsync(cancellationToken);
    }
}
