using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ReId.Ingest;

/// <summary>How one decoder run (a connection, or a file played once) ended.</summary>
/// <param name="Frames">Whole frames it delivered.</param>
/// <param name="Error">What went wrong, password masked; null when a file simply ended.</param>
/// <param name="Fatal">Retrying cannot help (ffmpeg missing).</param>
internal sealed record SessionEnd(long Frames, string? Error, bool Fatal = false);

/// <summary>Runs one decoder session for a camera, feeding it frames.</summary>
internal delegate Task<SessionEnd> SessionRunner(Camera camera, CancellationToken cancellationToken);

/// <summary>
/// One camera: decodes its source to <see cref="VideoFrame"/>s on <see cref="Frames"/> until stopped. A live camera
/// reconnects after any failure with capped exponential back-off and jitter, forever; a file plays once (or loops)
/// and stops. Failures are reported through <see cref="Status"/>, never thrown: one broken camera never stops the others.
/// </summary>
public sealed class Camera : ICameraSource
{
    private readonly CameraOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly FrameQueue _queue;
    private bool _waitingForConsumer;
    private readonly ReconnectBackoff _backoff;
    private readonly SessionRunner _runSession;
    private readonly string _maskedUrl;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _gate = new();
    private CameraState _state = CameraState.Connecting;
    private DateTimeOffset _downSince;
    private string? _lastError;
    private DateTimeOffset? _lastErrorTime;
    private int _reconnects;
    private long _decoded;
    private long _sessionFrames;
    private DateTimeOffset _streamStart;
    private int? _processId;
    private int? _sourceWidth;
    private int? _sourceHeight;
    private long _fpsWindowStart;
    private long _fpsWindowFrames;
    private double _fps;
    private long _lastFrameTimestamp;
    private Task<CameraStatus>? _run;
    private int _disposed;
    private FfmpegProcess? _decoder;
    private TimeSpan _endedDecodersCpu;
    private TimeSpan _decoderCpuSample;

    /// <summary>Creates a camera; nothing starts until <see cref="RunAsync"/>.</summary>
    /// <exception cref="ArgumentException">The options are not valid (the message names the key and value).</exception>
    public Camera(CameraOptions options, ILogger<Camera>? logger = null, TimeProvider? timeProvider = null)
        : this(options, logger, timeProvider, FfmpegSession.RunAsync, random: null)
    {
    }

    internal Camera(CameraOptions options, ILogger? logger, TimeProvider? timeProvider, SessionRunner runSession, Func<double>? random)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _runSession = runSession;
        _maskedUrl = CameraUrl.Mask(_options.Url);
        _downSince = _time.GetUtcNow();
        _backoff = new ReconnectBackoff(_options.ReconnectInitialDelay, _options.ReconnectMaxDelay, random);
        _queue = new FrameQueue(_options.QueueCapacity, _options.QueueFullBehaviour);
        // Free buffers kept: enough for a full queue, the frame being filled and a few held by the consumer.
        Pool = new FrameBufferPool(_options.FrameBytes, _options.QueueCapacity + 4);
    }

    /// <summary>The camera's id.</summary>
    public string Id => _options.Id;

    /// <summary>Decoded frames, oldest dropped when the consumer falls behind. The reader owns each frame it takes and must
    /// dispose it. Completes when the camera stops, also after a failure (without an exception: a camera's faults are
    /// expected operating conditions, reported in <see cref="Status"/>).</summary>
    public ChannelReader<VideoFrame> Frames => _queue.Reader;

    /// <summary>The frames of <see cref="Frames"/>, as the pipeline reads them.</summary>
    public async IAsyncEnumerable<IFrame> ReadFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var frame in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return frame;
        }
    }

    /// <summary>A snapshot of the camera's state and counters.</summary>
    public CameraStatus Status
    {
        get
        {
            lock (_gate)
            {
                var streaming = _state == CameraState.Streaming;
                return new CameraStatus(_options.Id, _maskedUrl, _state, Interlocked.Read(ref _decoded), _queue.Delivered,
                    _queue.Dropped, _reconnects, _lastError, _lastErrorTime, streaming ? _fps : 0, _sourceWidth, _sourceHeight,
                    _processId, _endedDecodersCpu + (_decoder?.TryGetCpuTime() ?? _decoderCpuSample))
                {
                    DownSince = streaming ? null : _downSince,
                };
            }
        }
    }

    internal CameraOptions Options => _options;

    internal long FramesDecoded => Interlocked.Read(ref _decoded);

    internal FrameBufferPool Pool { get; }

    internal ILogger Logger => _logger;

    internal TimeProvider Time => _time;

    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last frame, or of the session start.</summary>
    internal long LastFrameTimestamp => Interlocked.Read(ref _lastFrameTimestamp);

    /// <summary>True while a full back-pressure queue holds the decoder: the stall watchdog does not count it.</summary>
    internal bool WaitingForConsumer => Volatile.Read(ref _waitingForConsumer);

    /// <summary>
    /// Runs the camera until <paramref name="cancellationToken"/> is cancelled, or a file ends or fails. Completes
    /// <see cref="Frames"/> when done and returns the final status. Faults of the source do not throw.
    /// </summary>
    /// <exception cref="InvalidOperationException">Already run.</exception>
    public Task<CameraStatus> RunAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_gate)
        {
            if (_run is not null)
            {
                throw new InvalidOperationException($"Camera '{Id}' has already been run; create a new one.");
            }

            _run = RunCoreAsync(cancellationToken);
            return _run;
        }
    }

    /// <summary>Stops the camera (ending its ffmpeg), waits for it and returns the buffers of frames nobody read.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Task? run;
        lock (_gate)
        {
            run = _run;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (run is not null)
        {
            await run.ConfigureAwait(false);
        }

        _queue.Complete();
        _queue.DisposeQueued();
        _disposing.Dispose();
    }

    private async Task<CameraStatus> RunCoreAsync(CancellationToken cancellationToken)
    {
        // Leave the caller's thread at once: sessions read pipes in loops.
        await Task.Yield();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        var token = stop.Token;
        var failures = 0;
        var final = CameraState.Stopped;
        try
        {
            while (!token.IsCancellationRequested)
            {
                BeginSession();
                var end = await _runSession(this, token).ConfigureAwait(false);
                token.ThrowIfCancellationRequested();
                SessionEnded();
                if (end.Fatal || (!_options.IsLive && end.Error is not null))
                {
                    RecordError(end.Error ?? "the source failed");
                    final = CameraState.Failed;
                    break;
                }

                if (!_options.IsLive)
                {
                    break;
                }

                RecordError(end.Error ?? "the stream ended");
                // Failures in a row; a session that streamed starts the back-off over.
                failures = end.Frames > 0 ? 1 : failures + 1;
                var delay = _backoff.Delay(failures - 1);
                SetState(CameraState.Reconnecting);
                Log.ReconnectScheduled(_logger, Id, delay, _reconnects + 1);
                await Task.Delay(delay, _time, token).ConfigureAwait(false);
                lock (_gate)
                {
                    _reconnects++;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped by the owner.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A camera reports its failures through its status and never takes its owner (or other cameras) down.
            RecordError($"ingest failed ({e.GetType().Name}): {CameraUrl.MaskAll(e.Message)}");
            final = CameraState.Failed;
        }
        finally
        {
            SessionEnded();
            SetState(final);
            _queue.Complete();
        }

        return Status;
    }

    private void BeginSession()
    {
        Interlocked.Exchange(ref _sessionFrames, 0);
        Interlocked.Exchange(ref _lastFrameTimestamp, _time.GetTimestamp());
        lock (_gate)
        {
            _streamStart = _options.StartTime ?? _time.GetUtcNow();
            _fpsWindowStart = _time.GetTimestamp();
            _fpsWindowFrames = 0;
        }
    }

    private void SessionEnded()
    {
        lock (_gate)
        {
            _processId = null;
        }
    }

    /// <summary>Called by a session when its decoder runs.</summary>
    internal void OnDecoderStarted(FfmpegProcess process)
    {
        lock (_gate)
        {
            _processId = process.Id;
            _decoder = process;
            _decoderCpuSample = TimeSpan.Zero;
        }

        Log.DecoderStarted(_logger, Id, process.Id);
    }

    /// <summary>Called by a session now and then while its decoder runs, and once before it ends.</summary>
    internal void SampleDecoderCpu()
    {
        lock (_gate)
        {
            _decoderCpuSample = _decoder?.TryGetCpuTime() ?? _decoderCpuSample;
        }
    }

    /// <summary>Called by a session when its decoder is gone: its CPU time joins the total.</summary>
    internal void OnDecoderEnded()
    {
        lock (_gate)
        {
            _endedDecodersCpu += _decoderCpuSample;
            _decoderCpuSample = TimeSpan.Zero;
            _decoder = null;
            _processId = null;
        }
    }

    /// <summary>Called by a session once it knows the source's size.</summary>
    internal void OnSourceVideo(int width, int height)
    {
        lock (_gate)
        {
            _sourceWidth = width;
            _sourceHeight = height;
        }
    }

    /// <summary>Called by a session with a filled buffer (from <see cref="Pool"/>); ownership passes to the frame.</summary>
    internal void Publish(byte[] buffer, CancellationToken cancellationToken = default)
    {
        var index = Interlocked.Increment(ref _sessionFrames) - 1;
        var sequence = Interlocked.Increment(ref _decoded) - 1;
        var now = _time.GetTimestamp();
        Interlocked.Exchange(ref _lastFrameTimestamp, now);
        DateTimeOffset captureTime;
        var becameStreaming = false;
        lock (_gate)
        {
            // Files: recording start + stream time (ffmpeg outputs a constant rate, so frame i is at i / fps).
            captureTime = _options.IsLive ? _time.GetUtcNow() : _streamStart + TimeSpan.FromSeconds(index / _options.Fps);
            _fpsWindowFrames++;
            var elapsed = _time.GetElapsedTime(_fpsWindowStart, now);
            if (elapsed >= TimeSpan.FromSeconds(1))
            {
                _fps = _fpsWindowFrames / elapsed.TotalSeconds;
                _fpsWindowStart = now;
                _fpsWindowFrames = 0;
            }

            if (_state != CameraState.Streaming)
            {
                _state = CameraState.Streaming;
                // Recovered: the status says what is wrong now; the past failure stays in the log.
                _lastError = null;
                _lastErrorTime = null;
                becameStreaming = true;
            }
        }

        if (becameStreaming)
        {
            Log.StateChanged(_logger, Id, _maskedUrl, CameraState.Streaming);
        }

        var frame = new VideoFrame(_options.Id, sequence, captureTime, _options.Width, _options.Height, buffer, Pool);
        Volatile.Write(ref _waitingForConsumer, true);
        try
        {
            _queue.Publish(frame, cancellationToken);
        }
        finally
        {
            // Time spent waiting for the consumer (back-pressure) is no stall of the source.
            Interlocked.Exchange(ref _lastFrameTimestamp, _time.GetTimestamp());
            Volatile.Write(ref _waitingForConsumer, false);
        }
    }

    private void RecordError(string error)
    {
        lock (_gate)
        {
            _lastError = error;
            _lastErrorTime = _time.GetUtcNow();
        }

        Log.SourceFailed(_logger, Id, _maskedUrl, error);
    }

    private void SetState(CameraState state)
    {
        lock (_gate)
        {
            if (_state == state)
            {
                return;
            }

            if (_state == CameraState.Streaming)
            {
                _downSince = _time.GetUtcNow();
            }

            _state = state;
        }

        Log.StateChanged(_logger, Id, _maskedUrl, state);
    }
}
