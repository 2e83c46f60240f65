using System.Collections.Concurrent;

namespace ReId.Ingest;

/// <summary>
/// Fixed-size frame buffers for one camera. Keeps at most <c>retainLimit</c> free buffers, so memory is bounded by
/// the buffers in use (queue capacity + the one being filled + those the consumer holds) plus that limit.
/// </summary>
internal sealed class FrameBufferPool
{
    private readonly ConcurrentQueue<byte[]> _free = new();
    private readonly int _retainLimit;
    private long _outstanding;
    private long _allocated;

    public FrameBufferPool(int bufferSize, int retainLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        ArgumentOutOfRangeException.ThrowIfNegative(retainLimit);
        BufferSize = bufferSize;
        _retainLimit = retainLimit;
    }

    public int BufferSize { get; }

    /// <summary>Buffers rented and not yet returned.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Buffers ever allocated: flat once the pool is warm.</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    public byte[] Rent()
    {
        Interlocked.Increment(ref _outstanding);
        if (_free.TryDequeue(out var buffer))
        {
            return buffer;
        }

        Interlocked.Increment(ref _allocated);
        return new byte[BufferSize];
    }

    public void Return(byte[] buffer)
    {
        if (buffer.Length != BufferSize)
        {
            throw new ArgumentException($"A buffer of {buffer.Length} bytes does not belong to a pool of {BufferSize}-byte buffers.", nameof(buffer));
        }

        Interlocked.Decrement(ref _outstanding);
        // Count is approximate under races; the bound may be exceeded by a buffer or two, never grows.
        if (_free.Count < _retainLimit)
        {
            _free.Enqueue(buffer);
        }
    }
}
