using Microsoft.Extensions.Logging;
using ReId.Tracking;

namespace ReId.Host.Pipeline;

/// <summary>A stage failed more often than it may be restarted; the pipeline stopped.</summary>
internal sealed class PipelineFailedException(string stage, Exception inner)
    : Exception($"pipeline stage '{stage}' failed and was not restarted again: {inner.Message}", inner)
{
    public string Stage { get; } = stage;
}

/// <summary>
/// cameras -> detection (batched across cameras) -> a tracker per camera -> encoder -> store, joined by bounded
/// queues. One token stops everything; a failing stage is restarted a few times, then stops the pipeline with
/// <see cref="PipelineFailedException"/>. With file cameras the pipeline ends once every camera ended and
/// every queue is drained. <c>lossless</c> (every camera a file read fast): every stage waits for the next instead
/// of dropping.
/// </summary>
internal sealed partial class ReidPipeline
{
    private readonly IReadOnlyList<ICameraSource> _cameras;
    private readonly IPersonDetector _detector;
    private readonly Func<string, ITracker> _trackerFactory;
    private readonly EmbedderSlot _embedder;
    private readonly ISightingRepository _store;
    private readonly PipelineOptions _settings;
    private readonly bool _lossless;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly float _stitchMinSimilarity;

    /// <param name="stitchMinSimilarity">cosine similarity at which a broken track's fragments
    /// (<see cref="Tracklet.Previous"/>) are stored as one sighting (<c>Tracking:StitchMinSimilarity</c>).</param>
    public ReidPipeline(
        IReadOnlyList<ICameraSource> cameras, IPersonDetector detector, Func<string, ITracker> trackerFactory,
        EmbedderSlot embedder, ISightingRepository store, PipelineOptions settings, ILogger logger, TimeProvider? time = null,
        bool lossless = false, float? stitchMinSimilarity = null)
    {
        _stitchMinSimilarity = stitchMinSimilarity ?? new TrackerOptions().StitchMinSimilarity;
        _cameras = cameras;
        _detector = detector;
        _trackerFactory = trackerFactory;
        _embedder = embedder;
        _store = store;
        _settings = settings;
        _lossless = lossless;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        StoreWriter = new StoreWriter(store, Metrics.Store, settings.StoreRetryInitialDelay, settings.StoreRetryMaxDelay, logger, _time);
    }

    public PipelineMetrics Metrics { get; } = new();

    /// <summary>The store stage: whether the store writes now (<see cref="StoreWriter.Fault"/>).</summary>
    public StoreWriter StoreWriter { get; }

    public IReadOnlyList<ICameraSource> Cameras => _cameras;

    /// <summary>A frame with the moment it entered the service (for the frame-to-sighting latency).</summary>
    private sealed record Envelope(IFrame Frame, long Arrived) : IDisposable
    {
        public void Dispose() => Frame.Dispose();
    }

    private sealed record Detected(Envelope Frame, IReadOnlyList<PersonDetection> Detections) : IDisposable
    {
        public void Dispose() => Frame.Dispose();
    }

    private sealed record Finished(Tracklet Tracklet, long Arrived);

    private sealed record Embedded(PendingSighting Sighting, long Arrived);

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (_cameras.Count == 0)
        {
            // A service without cameras only answers queries on what is stored.
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        // Live cameras: a stage that falls behind drops the oldest frames. Recorded footage read fast (lossless):
        // every stage waits for the next, so the cameras go as fast as the slowest stage and nothing is dropped.
        var dropOldest = !_lossless;
        var detectQueue = new StageQueue<Envelope>(_settings.DetectionQueueCapacity, dropOldest, Metrics.Detection);
        var trackQueues = _cameras.ToDictionary(
            c => c.Id, _ => new StageQueue<Detected>(_settings.TrackingQueueCapacity, dropOldest, Metrics.Tracking), StringComparer.Ordinal);
        Metrics.Tracking.QueueDepth = () => trackQueues.Values.Sum(q => q.Count);
        var encodeQueue = new StageQueue<Finished>(_settings.EncoderQueueCapacity, dropOldest: false, Metrics.Encoder);
        // Sightings held while the store cannot write: live cameras drop the oldest beyond its capacity (counted).
        var storeQueue = new StageQueue<Embedded>(_settings.StoreQueueCapacity, dropOldest, Metrics.Store);

        Exception? failure = null;
        async Task Guard(Task task)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
                await stop.CancelAsync().ConfigureAwait(false);
            }
        }

        // Every stage starts on the thread pool, never on the caller's synchronization context.
        var cameraRuns = _cameras.Select(c => Guard(Task.Run(() => RunCameraAsync(c, token), CancellationToken.None))).ToList();
        var pumps = _cameras.Select(c => Guard(Task.Run(() => PumpAsync(c, detectQueue, token), CancellationToken.None))).ToList();
        var pumpsDone = Task.WhenAll(pumps).ContinueWith(_ => detectQueue.Complete(), TaskScheduler.Default);

        var detect = Guard(Task.Factory.StartNew(
            () => Supervise("detection", Metrics.Detection, ct => DetectLoopAsync(detectQueue, trackQueues, ct), token),
            token, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()
            .ContinueWith(t => { foreach (var q in trackQueues.Values) { q.Complete(); } return t; }, TaskScheduler.Default).Unwrap());

        var tracking = _cameras.Select(c =>
        {
            var tracker = _trackerFactory(c.Id);
            return Guard(Task.Run(
                () => Supervise($"tracking[{c.Id}]", Metrics.Tracking, ct => TrackLoopAsync(c.Id, tracker, trackQueues[c.Id], encodeQueue, ct), token),
                CancellationToken.None));
        }).ToList();
        var trackingDone = Task.WhenAll(tracking).ContinueWith(_ => encodeQueue.Complete(), TaskScheduler.Default);

        var encode = Guard(Task.Run(() => Supervise("encoder", Metrics.Encoder, ct => EncodeLoopAsync(encodeQueue, storeQueue, ct), token), CancellationToken.None)
            .ContinueWith(t => { storeQueue.Complete(); return t; }, TaskScheduler.Default).Unwrap());
        var write = Guard(Task.Run(() => Supervise("store", Metrics.Store, ct => StoreLoopAsync(storeQueue, ct), token), CancellationToken.None));

        await Task.WhenAll([.. cameraRuns, .. pumps, pumpsDone, detect, .. tracking, trackingDone, encode, write]).ConfigureAwait(false);

        detectQueue.DrainAndDispose();
        foreach (var q in trackQueues.Values)
        {
            q.DrainAndDispose();
        }

        if (failure is not null)
        {
            throw failure is PipelineFailedException ? failure : new PipelineFailedException("pipeline", failure);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task RunCameraAsync(ICameraSource camera, CancellationToken cancellationToken)
    {
        try
        {
            await camera.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A camera that failed for good is shown in its status; the other cameras go on.
            LogCameraFailed(camera.Id, e.Message);
        }
    }

    /// <summary>Moves one camera's frames to the detector at the configured rate; the frames between are skipped.</summary>
    private async Task PumpAsync(ICameraSource camera, StageQueue<Envelope> detectQueue, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(1 / _settings.DetectionFpsPerCamera);
        // Frame times carry rounding (a 10 fps file gives 0.1 s steps in ticks): a frame a little early still counts.
        var tolerance = interval / 5;
        DateTimeOffset? next = null;
        try
        {
            await foreach (var frame in camera.ReadFramesAsync(cancellationToken).ConfigureAwait(false))
            {
                Metrics.Ingest.CountIn();
                // Capture times, not arrival times, set the rate: file cameras read fast keep their real rhythm.
                if (next is { } n && frame.CaptureTime < n - tolerance)
                {
                    PipelineMetrics.Add(Metrics.SkippedFrames, camera.Id);
                    frame.Dispose();
                    continue;
                }

                // Keep the average rate; a source that paused starts a new rhythm instead of bursting.
                next = next is { } due && frame.CaptureTime - due < interval ? due + interval : frame.CaptureTime + interval;
                Metrics.Ingest.CountOut();
                var before = Metrics.Detection.Dropped;
                await detectQueue.WriteAsync(new Envelope(frame, _time.GetTimestamp()), cancellationToken).ConfigureAwait(false);
                if (Metrics.Detection.Dropped != before)
                {
                    PipelineMetrics.Add(Metrics.FrameDrops, camera.Id);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task DetectLoopAsync(
        StageQueue<Envelope> input, Dictionary<string, StageQueue<Detected>> outputs, CancellationToken cancellationToken)
    {
        var loop = new DetectLoop<Envelope>(_detector, _settings.DetectionBatchSize, _settings.DetectionBatchWait, e => e.Frame.Image, _time);
        await loop.RunAsync(
            input.Reader,
            async (frame, found, ct) =>
            {
                PipelineMetrics.Add(Metrics.DetectedFrames, frame.Frame.CameraId);
                Metrics.Detection.CountOut();
                await outputs[frame.Frame.CameraId].WriteAsync(new Detected(frame, found), ct).ConfigureAwait(false);
            },
            elapsed => Metrics.DetectionBatch.Record(elapsed.TotalMilliseconds),
            cancellationToken).ConfigureAwait(false);
    }

    private async Task TrackLoopAsync(
        string cameraId, ITracker tracker, StageQueue<Detected> input, StageQueue<Finished> output, CancellationToken cancellationToken)
    {
        await foreach (var item in input.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            IReadOnlyList<Tracklet> done;
            using (item)
            {
                // The tracker copies its crops out of the frame before it returns: the frame's buffer goes back now.
                var frame = item.Frame.Frame;
                var started = _time.GetTimestamp();
                done = tracker.Update(frame.Image, frame.CaptureTime, item.Detections).Tracklets;
                Metrics.RecordStageLatency(Metrics.Tracking, _time.GetElapsedTime(started));
            }

            foreach (var t in done.Where(Stored))
            {
                Metrics.Tracking.CountOut();
                PipelineMetrics.Add(Metrics.Tracklets, cameraId);
                await output.WriteAsync(new Finished(t, item.Frame.Arrived), cancellationToken).ConfigureAwait(false);
            }
        }

        // The camera ended: its open tracks are finished too.
        var now = _time.GetTimestamp();
        foreach (var t in tracker.Flush().Where(Stored))
        {
            Metrics.Tracking.CountOut();
            PipelineMetrics.Add(Metrics.Tracklets, cameraId);
            await output.WriteAsync(new Finished(t, now), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Only final tracklets (the track ended) become sightings, so a person is stored once per track (the tracker
    /// itself drops tracks shorter than Tracking:MinFrames).
    /// </summary>
    private static bool Stored(Tracklet t) => t.IsFinal && t.Samples.Count > 0;

    private async Task EncodeLoopAsync(StageQueue<Finished> input, StageQueue<Embedded> output, CancellationToken cancellationToken)
    {
        var reader = input.Reader;
        var batch = new List<Finished>(_settings.EncoderBatchSize);
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _settings.EncoderBatchSize && reader.TryRead(out var f))
            {
                batch.Add(f);
            }

            // a broken track's fragments are embedded one by one and stored as one sighting where they agree
            var fragments = batch.Select(f => f.Tracklet.Fragments()).ToList();
            IReadOnlyList<float[]> embeddings;
            string version;
            var started = _time.GetTimestamp();
            using (var lease = _embedder.Acquire())
            {
                version = lease.Embedder.ModelVersion;
                embeddings = await lease.Embedder.EmbedAsync(
                    fragments.SelectMany(parts => parts).Select(t => (IReadOnlyList<BgrImage>)[.. t.Samples.Select(s => s.Crop)]).ToList(),
                    cancellationToken).ConfigureAwait(false);
            }

            Metrics.RecordStageLatency(Metrics.Encoder, _time.GetElapsedTime(started));
            Metrics.CountEncoderBatch(fragments.Sum(fs => fs.Sum(t => t.Samples.Count)));
            Metrics.Encoder.CountOut(batch.Count);
            int next = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                var f = batch[i];
                var embedded = fragments[i].Select(t => (t, embeddings[next++])).ToList();
                foreach (var (tracklet, embedding) in TrackletFragments.Join(embedded, _stitchMinSimilarity))
                {
                    var pending = _store.Prepare(new NewSighting(tracklet, embedding, version));
                    await output.WriteAsync(new Embedded(pending, f.Arrived), cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task StoreLoopAsync(StageQueue<Embedded> input, CancellationToken cancellationToken)
    {
        await foreach (var e in input.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var writing = _time.GetTimestamp();
            var stored = await StoreWriter.WriteAsync(e.Sighting, cancellationToken).ConfigureAwait(false);
            // a write's latency includes its retries
            Metrics.RecordStageLatency(Metrics.Store, _time.GetElapsedTime(writing));
            if (stored)
            {
                Metrics.Store.CountOut();
                PipelineMetrics.Add(Metrics.Sightings, e.Sighting.Sighting.Tracklet.CameraId);
                Metrics.FrameToSighting.Record(_time.GetElapsedTime(e.Arrived).TotalMilliseconds);
            }
        }
    }

    /// <summary>Runs a stage loop; restarts it after a failure up to the limit, then stops the pipeline.</summary>
    private async Task Supervise(string stage, StageMetrics metrics, Func<CancellationToken, Task> loop, CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            try
            {
                await loop(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                metrics.CountError();
                failures++;
                if (failures > _settings.MaxRestarts)
                {
                    LogStageGaveUp(stage, failures, e);
                    throw new PipelineFailedException(stage, e);
                }

                metrics.CountRestart();
                LogStageRestarted(stage, failures, _settings.MaxRestarts, e);
            }
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "camera {Camera} stopped with an error: {Error}")]
    private partial void LogCameraFailed(string camera, string error);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "stage {Stage} failed (failure {Failures} of at most {MaxRestarts} restarts); restarting it")]
    private partial void LogStageRestarted(string stage, int failures, int maxRestarts, Exception error);

    [LoggerMessage(EventId = 102, Level = LogLevel.Critical, Message = "stage {Stage} failed {Failures} times; stopping the pipeline")]
    private partial void LogStageGaveUp(string stage, int failures, Exception error);
}
