using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ReId.Ingest;

namespace ReId.Host.Pipeline.Adapters;

/// <summary>An Ingest camera (RTSP or file, decoded by ffmpeg) as a pipeline source.</summary>
internal sealed class CameraAdapter : ICameraSource
{
    private readonly Camera _camera;

    public CameraAdapter(CameraOptions options, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        Options = options;
        _camera = new Camera(options, loggerFactory.CreateLogger<Camera>(), time);
        Frames = new MappedReader(_camera.Frames);
    }

    public CameraOptions Options { get; }

    public string Id => _camera.Id;

    public ChannelReader<IFrame> Frames { get; }

    public Pipeline.CameraStatus Status
    {
        get
        {
            var s = _camera.Status;
            return new Pipeline.CameraStatus(s.CameraId, Enum.Parse<Pipeline.CameraState>(s.State.ToString()), s.Url, s.FramesDelivered, s.FramesDropped, s.Reconnects, s.Fps, s.LastError);
        }
    }

    public Task RunAsync(CancellationToken cancellationToken = default) => _camera.RunAsync(cancellationToken);

    public ValueTask DisposeAsync() => _camera.DisposeAsync();

    private sealed class FrameAdapter(VideoFrame frame) : IFrame
    {
        public string CameraId => frame.CameraId;
        public long Sequence => frame.Sequence;
        public DateTimeOffset CaptureTime => frame.CaptureTime;
        public int Width => frame.Width;
        public int Height => frame.Height;
        public ReadOnlyMemory<byte> Bgr => frame.Bgr;
        public void Dispose() => frame.Dispose();
    }

    private sealed class MappedReader(ChannelReader<VideoFrame> inner) : ChannelReader<IFrame>
    {
        public override Task Completion => inner.Completion;
        public override bool CanCount => inner.CanCount;
        public override int Count => inner.Count;

        public override bool TryRead([MaybeNullWhen(false)] out IFrame item)
        {
            if (inner.TryRead(out var frame))
            {
                item = new FrameAdapter(frame);
                return true;
            }

            item = null;
            return false;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }
}
