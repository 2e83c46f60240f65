using System.Threading.Channels;

namespace ReId.Host.Pipeline;

/// <summary>
/// The service's detection stage: takes frames of any camera from one queue, gathers up to <c>batchSize</c> of them,
/// waiting at most <c>batchWait</c> for the batch to fill, runs the detector once per batch and hands each frame on
/// with its detections. The pipeline runs it (supervised, restarted after a failure); <c>bench detect</c> drives the
/// same class. Frames whose batch fails or is stopped are disposed here; frames handed on belong to the next stage.
/// </summary>
internal sealed class DetectLoop<T>(IPersonDetector detector, int batchSize, TimeSpan batchWait, Func<T, BgrImage> imageOf, TimeProvider? time = null)
    where T : IDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Detector calls so far.</summary>
    public long Batches { get; private set; }

    /// <summary>
    /// Runs until <paramref name="input"/> completes or the token is cancelled. <paramref name="output"/> gets each
    /// frame with its detections, in batch order; <paramref name="batchDone"/> (if given) each batch's detector time.
    /// </summary>
    public async Task RunAsync(
        ChannelReader<T> input, Func<T, IReadOnlyList<PersonDetection>, CancellationToken, ValueTask> output,
        Action<TimeSpan>? batchDone = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var batch = new List<T>(batchSize);
        while (await input.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            batch.Clear();
            try
            {
                await FillAsync(input, batch, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Stopped while the batch filled: its frames go back to their pools.
                DisposeAll(batch);
                throw;
            }

            if (batch.Count == 0)
            {
                continue;
            }

            IReadOnlyList<IReadOnlyList<PersonDetection>> found;
            var started = _time.GetTimestamp();
            try
            {
                found = detector.Detect(batch.ConvertAll(b => imageOf(b)));
            }
            catch
            {
                DisposeAll(batch);
                throw;
            }

            Batches++;
            batchDone?.Invoke(_time.GetElapsedTime(started));
            for (var i = 0; i < batch.Count; i++)
            {
                await output(batch[i], found[i], cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Takes what is queued up to a full batch, waiting for more frames until the batch's deadline.</summary>
    private async Task FillAsync(ChannelReader<T> input, List<T> batch, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp() + (long)(batchWait.TotalSeconds * _time.TimestampFrequency);
        while (batch.Count < batchSize)
        {
            if (input.TryRead(out var item))
            {
                batch.Add(item);
                continue;
            }

            var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero || batch.Count == 0 && input.Completion.IsCompleted)
            {
                return;
            }

            // Wait a little for other cameras' frames to fill the batch, never past the deadline.
            using var wait = new CancellationTokenSource(left, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, wait.Token);
            try
            {
                if (!await input.WaitToReadAsync(linked.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static void DisposeAll(List<T> batch)
    {
        foreach (var item in batch)
        {
            item.Dispose();
        }

        batch.Clear();
    }
}
