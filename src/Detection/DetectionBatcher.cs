using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ReId.Detection;

/// <summary>
/// Shares one detector between cameras: frames from any camera are gathered into batches of up to
/// <c>maxBatch</c>; once a frame waits, the batch runs when full or after <c>maxWait</c>, whichever comes first, so
/// a slow camera never holds back the others. Runs the detector on one background task.
/// </summary>
public sealed class DetectionBatcher : IAsyncDisposable
{
    private readonly IPersonDetector _detector;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxWait;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _batches;
    private long _frames;

    /// <param name="detector">used by this batcher only while it runs; not disposed by it.</param>
    /// <param name="maxBatch">most frames in one batch (at least 1).</param>
    /// <param name="maxWait">longest time the first frame of a batch waits for more.</param>
    /// <param name="timeProvider">the clock for <paramref name="maxWait"/>; the system clock when null.</param>
    /// <param name="logger">where failed batches are logged.</param>
    public DetectionBatcher(
        IPersonDetector detector, int maxBatch, TimeSpan maxWait, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWait, TimeSpan.Zero);
        _detector = detector;
        _maxBatch = maxBatch;
        _maxWait = maxWait;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Batches run so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Frames detected so far.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>
    /// Queues a frame and returns its detections when its batch has run. The pixels must stay valid until then.
    /// </summary>
    public Task<IReadOnlyList<PersonDetection>> DetectAsync(BgrImage image, CancellationToken cancellationToken = default)
    {
        if (image.IsEmpty)
        {
            throw new ArgumentException("The image is empty.", nameof(image));
        }

        var request = new Request(image, cancellationToken);
        if (!_requests.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(DetectionBatcher));
        }

        return request.Completion.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<Request>(_maxBatch);
        var images = new List<BgrImage>(_maxBatch);
        var reader = _requests.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                batch.Clear();
                long deadline = _time.GetTimestamp();
                Take(reader, batch);
                if (batch.Count == 0)
                {
                    continue;
                }

                while (batch.Count < _maxBatch)
                {
                    var remaining = _maxWait - _time.GetElapsedTime(deadline);
                    if (remaining <= TimeSpan.Zero || !await WaitForMoreAsync(reader, remaining).ConfigureAwait(false))
                    {
                        break;
                    }

                    Take(reader, batch);
                }

                RunBatch(batch, images);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }

        foreach (var r in batch.Where(r => !r.Completion.Task.IsCompleted))
        {
            r.Completion.TrySetCanceled();
        }

        while (reader.TryRead(out var left))
        {
            left.Completion.TrySetCanceled();
        }
    }

    private void Take(ChannelReader<Request> reader, List<Request> batch)
    {
        while (batch.Count < _maxBatch && reader.TryRead(out var r))
        {
            if (r.CancellationToken.IsCancellationRequested)
            {
                r.Completion.TrySetCanceled(r.CancellationToken);
                continue;
            }

            batch.Add(r);
        }
    }

    private async Task<bool> WaitForMoreAsync(ChannelReader<Request> reader, TimeSpan remaining)
    {
        using var timeout = new CancellationTokenSource(remaining, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token);
        try
        {
            return await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            return false;
        }
    }

    private void RunBatch(List<Request> batch, List<BgrImage> images)
    {
        images.Clear();
        images.AddRange(batch.Select(r => r.Image));
        try
        {
            var results = _detector.Detect(images);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _frames, batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One bad frame or a failing run fails the frames of this batch, not the batcher.
            DetectionLog.BatchFailed(_logger, e, batch.Count);
            foreach (var r in batch)
            {
                r.Completion.TrySetException(e);
            }
        }
    }

    /// <summary>Stops taking frames, cancels those still waiting, and waits for the running batch.</summary>
    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed record Request(BgrImage Image, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<IReadOnlyList<PersonDetection>> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
