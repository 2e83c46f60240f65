namespace ReId.Ingest;

/// <summary>
/// One decoded frame: <see cref="Width"/> x <see cref="Height"/> BGR24 pixels in a pooled buffer.
/// It has one owner at a time; whoever holds it last disposes it, which returns the buffer to its pool.
/// </summary>
public sealed class VideoFrame : IFrame
{
    private readonly FrameBufferPool _pool;
    private byte[]? _buffer;

    internal VideoFrame(string cameraId, long sequence, DateTimeOffset captureTime, int width, int height,
        byte[] buffer, FrameBufferPool pool)
    {
        CameraId = cameraId;
        Sequence = sequence;
        CaptureTime = captureTime;
        Width = width;
        Height = height;
        _buffer = buffer;
        _pool = pool;
    }

    /// <summary>The camera that produced the frame.</summary>
    public string CameraId { get; }

    /// <summary>Frame number of this camera, from 0, increasing across reconnects.</summary>
    public long Sequence { get; }

    /// <summary>Wall-clock time for live cameras; recording start plus stream time for files.</summary>
    public DateTimeOffset CaptureTime { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width * Height * 3 bytes, rows top to bottom, pixels B, G, R.</summary>
    /// <exception cref="ObjectDisposedException">The frame was disposed.</exception>
    public ReadOnlyMemory<byte> Bgr
    {
        get
        {
            var buffer = _buffer;
            ObjectDisposedException.ThrowIf(buffer is null, this);
            return buffer.AsMemory(0, Width * Height * 3);
        }
    }

    /// <summary>The pixels as the pipeline's image (no copy).</summary>
    /// <exception cref="ObjectDisposedException">The frame was disposed.</exception>
    public BgrImage Image => new(Bgr, Width, Height);

    /// <summary>Returns the pixel buffer to its pool; later calls do nothing.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            _pool.Return(buffer);
        }
    }
}
