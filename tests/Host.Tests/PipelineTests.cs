using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;
using ReId.Search;
using ReId.Tracking;

namespace ReId.Host.Tests;

/// <summary>The composition: queues, completion, restarts, failure and cancellation, with small in-test stages.</summary>
public sealed class PipelineTests
{
    private string _dir = "";
    private SearchRepository _repository = null!;
    private EmbedderSlot _embedder = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("reid-pipeline-").FullName;
        _embedder = new EmbedderSlot(new MeanColourEmbedder());
        _repository = new SearchRepository(EmbeddedSightingStore.Open(_dir), new SearchOptions(), () => _embedder.ModelVersion);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _repository.DisposeAsync();
        await _embedder.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class Frame(string camera, long sequence, DateTimeOffset time, Counter counter) : IFrame
    {
        private int _disposed;
        public string CameraId => camera;
        public long Sequence => sequence;
        public DateTimeOffset CaptureTime => time;
        public BgrImage Image { get; } = new(new byte[48], 4, 4);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                counter.Disposed();
            }
        }
    }

    private sealed class Counter
    {
        private int _live;
        public int Live => Volatile.Read(ref _live);
        public void Created() => Interlocked.Increment(ref _live);
        public void Disposed() => Interlocked.Decrement(ref _live);
    }

    /// <summary>A recorded camera: delivers its frames (10 per second of capture time) as fast as they are read.</summary>
    private sealed class FileCamera(string id, int frames, Counter counter, bool endless = false) : ICameraSource
    {
        private readonly Channel<IFrame> _channel = Channel.CreateBounded<IFrame>(4);
        private long _delivered;
        public string Id => id;
        public CameraStatus Status => new(id, "file", CameraState.Streaming, Interlocked.Read(ref _delivered), Interlocked.Read(ref _delivered), 0, 0, null, null, 10, null, null, null, TimeSpan.Zero);

        public async IAsyncEnumerable<IFrame> ReadFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var frame in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return frame;
            }
        }

        public async Task<CameraStatus> RunAsync(CancellationToken cancellationToken = default)
        {
            var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            try
            {
                for (var i = 0; endless || i < frames; i++)
                {
                    counter.Created();
                    var frame = new Frame(id, i, t0.AddSeconds(i / 10.0), counter);
                    try
                    {
                        await _channel.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                    }
                    catch
                    {
                        frame.Dispose();
                        throw;
                    }

                    Interlocked.Increment(ref _delivered);
                }
            }
            finally
            {
                _channel.Writer.TryComplete();
            }

            return Status;
        }

        public ValueTask DisposeAsync()
        {
            while (_channel.Reader.TryRead(out var f))
            {
                f.Dispose();
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class OnePersonDetector(int failures = 0) : IPersonDetector
    {
        private int _failures = failures;
        public string Name => "one-person";
        public string Description => Name;
        public int MaxBatch => 64;
        public int Calls { get; private set; }

        public IReadOnlyList<IReadOnlyList<PersonDetection>> Detect(IReadOnlyList<BgrImage> frames)
        {
            Calls++;
            if (_failures-- > 0)
            {
                throw new InvalidOperationException("detector broke");
            }

            return [.. frames.Select(_ => (IReadOnlyList<PersonDetection>)[new PersonDetection(new Box(1, 1, 2, 2), 0.9f)])];
        }

        public void Dispose()
        {
        }
    }

    /// <summary>Ends a track every <c>every</c> frames.</summary>
    private sealed class ChunkTracker(string camera, int every, int thumbnailBytes = 4) : ITracker
    {
        private readonly List<TrackletSample> _samples = [];
        private long _track;

        public string CameraId => camera;

        public TrackerUpdate Update(BgrImage frame, DateTimeOffset time, IReadOnlyList<PersonDetection> detections)
        {
            _samples.Add(new TrackletSample(time, detections[0].Box, TestImages.Solid(10, 20, 200, 8, 16)));
            return new TrackerUpdate([], _samples.Count >= every ? Flush() : []);
        }

        public IReadOnlyList<Tracklet> Flush()
        {
            if (_samples.Count == 0)
            {
                return [];
            }

            var thumbnail = new byte[thumbnailBytes];
            thumbnail[0] = 0xFF;
            var t = new Tracklet(camera, ++_track, _samples[0].Time, _samples[^1].Time, [.. _samples], thumbnail,
                new TrackletQuality(_samples.Count, 0, 0.9f, 100, 0, 2), IsFinal: true);
            _samples.Clear();
            return [t];
        }
    }

    private ReidPipeline Pipeline(IReadOnlyList<ICameraSource> cameras, IPersonDetector detector, PipelineOptions? settings = null, bool lossless = false) =>
        new(cameras, detector, id => new ChunkTracker(id, 10), _embedder, _repository,
            settings ?? new PipelineOptions { DetectionFpsPerCamera = 10, DetectionQueueCapacity = 256, TrackingQueueCapacity = 256, MaxRestarts = 2 },
            NullLogger<ReidPipeline>.Instance, lossless: lossless);

    [Test]
    public async Task RunAsync_TwoFileCameras_StoresEveryTrackletAndEnds()
    {
        var counter = new Counter();
        var pipeline = Pipeline([new FileCamera("a", 45, counter), new FileCamera("b", 30, counter)], new OnePersonDetector());

        await pipeline.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(pipeline.Metrics.Sightings["a"], Is.EqualTo(5), "4 full tracks and the flushed rest");
        Assert.That(pipeline.Metrics.Sightings["b"], Is.EqualTo(3));
        Assert.That(await _repository.CountAsync(), Is.EqualTo(8));
        Assert.That(pipeline.Metrics.DetectedFrames["a"] + pipeline.Metrics.DetectedFrames["b"], Is.EqualTo(75));
        Assert.That(counter.Live, Is.Zero, "every frame buffer was returned");
        Assert.That(pipeline.Metrics.FrameToSighting.Totals.Count, Is.EqualTo(8));
    }

    /// <summary>Gives, when flushed, one final tracklet whose earlier fragment (a broken track) has crops of
    /// <paramref name="earlierRed"/> red and the later one of 200.</summary>
    private sealed class BrokenTrackTracker(string camera, byte earlierRed) : ITracker
    {
        private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

        public string CameraId => camera;

        public TrackerUpdate Update(BgrImage frame, DateTimeOffset time, IReadOnlyList<PersonDetection> detections) => new([], []);

        public IReadOnlyList<Tracklet> Flush()
        {
            static Tracklet Part(string camera, long id, int from, byte red) => new(camera, id, T0.AddSeconds(from), T0.AddSeconds(from + 4),
                [.. Enumerable.Range(0, 4).Select(i => new TrackletSample(T0.AddSeconds(from + i), new Box(i, 0, 10, 20), TestImages.Solid(10, 20, red, 8, 16)))],
                [0xFF, 0xD8, 0xFF, 0xD9], new TrackletQuality(4, 0, 0.9f, 100, 0, 20), IsFinal: true);
            return [Part(camera, 2, 6, 200) with { Previous = Part(camera, 1, 0, earlierRed) }];
        }
    }

    [TestCase((byte)200, 1, TestName = "RunAsync_BrokenTrackWhoseFragmentsAgree_StoresOneSighting")]
    [TestCase((byte)0, 2, TestName = "RunAsync_BrokenTrackWhoseFragmentsDisagree_StoresTwoSightings")]
    public async Task RunAsync_BrokenTrack_StoresItsFragmentsAsOneSightingWhenTheyAgree(byte earlierRed, int expected)
    {
        var pipeline = new ReidPipeline([new FileCamera("a", 3, new Counter())], new OnePersonDetector(), id => new BrokenTrackTracker(id, earlierRed),
            _embedder, _repository, new PipelineOptions { DetectionFpsPerCamera = 10 }, NullLogger<ReidPipeline>.Instance);

        await pipeline.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var stored = await _repository.ListAsync(new ReId.Host.Pipeline.SightingQuery(null, null, null, 10));
        Assert.That(stored, Has.Count.EqualTo(expected));
        Assert.That(stored.Min(s => s.FirstSeen), Is.EqualTo(DateTimeOffset.UnixEpoch));
        Assert.That(stored.Max(s => s.LastSeen), Is.EqualTo(DateTimeOffset.UnixEpoch.AddSeconds(10)));
        Assert.That(stored.Sum(s => s.Samples.Count), Is.EqualTo(8), "every fragment's samples are kept");
        if (expected == 1)
        {
            Assert.That(stored[0].Track, Is.EqualTo(1), "the joined sighting keeps the first fragment's track id");
        }
    }

    /// <summary>A detector slower than the cameras: their frames pile up in front of it.</summary>
    private sealed class SlowDetector : IPersonDetector
    {
        private readonly OnePersonDetector _inner = new();
        public string Name => "slow";
        public string Description => Name;
        public int MaxBatch => 64;

        public IReadOnlyList<IReadOnlyList<PersonDetection>> Detect(IReadOnlyList<BgrImage> frames)
        {
            Thread.Sleep(3);
            return _inner.Detect(frames);
        }

        public void Dispose() => _inner.Dispose();
    }

    [Test]
    public async Task RunAsync_LosslessWithSlowDetectorAndSmallQueues_DetectsEveryFrameDropsNone()
    {
        var counter = new Counter();
        var pipeline = Pipeline([new FileCamera("a", 120, counter), new FileCamera("b", 120, counter)], new SlowDetector(),
            new PipelineOptions { DetectionFpsPerCamera = 10, DetectionBatchSize = 1, DetectionQueueCapacity = 1, TrackingQueueCapacity = 1 }, lossless: true);

        await pipeline.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Multiple(() =>
        {
            Assert.That(pipeline.Metrics.DetectedFrames["a"] + pipeline.Metrics.DetectedFrames["b"], Is.EqualTo(240));
            Assert.That(pipeline.Metrics.Detection.Dropped + pipeline.Metrics.Tracking.Dropped, Is.Zero);
            Assert.That(pipeline.Metrics.FrameDrops, Is.Empty);
            Assert.That(pipeline.Metrics.Sightings["a"] + pipeline.Metrics.Sightings["b"], Is.EqualTo(24));
            Assert.That(counter.Live, Is.Zero);
        });
    }

    [Test]
    public async Task RunAsync_DetectionRateBelowSourceRate_SkipsFramesBetween()
    {
        var counter = new Counter();
        var pipeline = Pipeline([new FileCamera("a", 100, counter)], new OnePersonDetector(),
            new PipelineOptions { DetectionFpsPerCamera = 5, DetectionQueueCapacity = 256, TrackingQueueCapacity = 256 });

        await pipeline.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(pipeline.Metrics.DetectedFrames["a"], Is.EqualTo(50), "10 fps source, 5 fps detection");
        Assert.That(pipeline.Metrics.SkippedFrames["a"], Is.EqualTo(50));
        Assert.That(counter.Live, Is.Zero);
    }

    [Test]
    public async Task RunAsync_DetectorFailsOnce_RestartsItAndGoesOn()
    {
        var counter = new Counter();
        var pipeline = Pipeline([new FileCamera("a", 40, counter)], new OnePersonDetector(failures: 1),
            new PipelineOptions { DetectionFpsPerCamera = 10, DetectionBatchSize = 1, DetectionQueueCapacity = 256, TrackingQueueCapacity = 256, MaxRestarts = 2 });

        await pipeline.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(pipeline.Metrics.Detection.Restarts, Is.EqualTo(1));
        Assert.That(pipeline.Metrics.Detection.Errors, Is.EqualTo(1));
        Assert.That(pipeline.Metrics.DetectedFrames["a"], Is.EqualTo(39), "only the failed batch's frame is lost");
        Assert.That(counter.Live, Is.Zero, "the failed batch's frames were returned too");
    }

    [Test]
    public async Task RunAsync_DetectorAlwaysFails_StopsWithTheStageNamedInsteadOfHanging()
    {
        var counter = new Counter();
        var camera = new FileCamera("a", 0, counter, endless: true);
        var pipeline = Pipeline([camera], new OnePersonDetector(failures: int.MaxValue),
            new PipelineOptions { DetectionFpsPerCamera = 10, DetectionBatchSize = 1, MaxRestarts = 2 });

        var e = await Assert.ThrowsAsync<PipelineFailedException>(() => pipeline.RunAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.That(e!.Stage, Is.EqualTo("detection"));
        Assert.That(e.Message, Does.Contain("detector broke"));
        Assert.That(pipeline.Metrics.Detection.Restarts, Is.EqualTo(2));
        await camera.DisposeAsync();
        Assert.That(counter.Live, Is.Zero);
    }

    [Test]
    public async Task RunAsync_Cancelled_StopsEveryStageAndReturnsEveryFrame()
    {
        var counter = new Counter();
        var camera = new FileCamera("a", 0, counter, endless: true);
        var pipeline = Pipeline([camera], new OnePersonDetector());
        using var cts = new CancellationTokenSource();

        var run = pipeline.RunAsync(cts.Token);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (pipeline.Metrics.Sightings.GetValueOrDefault("a") < 2 && !run.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(10);
        }

        Assert.That(run.IsCompleted, Is.False, "the pipeline runs until cancelled");
        Assert.That(pipeline.Metrics.Sightings.GetValueOrDefault("a"), Is.GreaterThanOrEqualTo(2), "sightings were stored while it ran");

        await cts.CancelAsync();

        Assert.That(async () => await run.WaitAsync(TimeSpan.FromSeconds(30)), Throws.InstanceOf<OperationCanceledException>());
        await camera.DisposeAsync();
        Assert.That(counter.Live, Is.Zero);
    }

    [Test]
    public async Task RunAsync_DiskFullThenFreed_KeepsAnsweringHoldsAndDropsCountedAndResumesWriting()
    {
        var (disk, whyNot) = SmallDisk.TryMount(8);
        Assume.That(disk, Is.Not.Null, whyNot);
        using var _ = disk;
        var embedder = new EmbedderSlot(new MeanColourEmbedder());
        await using var repository = new SearchRepository(EmbeddedSightingStore.Open(Path.Combine(disk!.Path, "store")), new SearchOptions(), () => embedder.ModelVersion);
        var counter = new Counter();
        var log = new ListLogger();
        var camera = new FileCamera("a", 0, counter, endless: true);
        var settings = new PipelineOptions
        {
            DetectionFpsPerCamera = 10, DetectionQueueCapacity = 256, TrackingQueueCapacity = 256, StoreQueueCapacity = 4,
            StoreRetryInitialDelay = TimeSpan.FromMilliseconds(20), StoreRetryMaxDelay = TimeSpan.FromMilliseconds(100),
        };
        var pipeline = new ReidPipeline([camera], new OnePersonDetector(), id => new ChunkTracker(id, 10, thumbnailBytes: 64 * 1024), embedder, repository, settings,
            log);
        using var cts = new CancellationTokenSource();
        var run = pipeline.RunAsync(cts.Token);

        async Task Until(Func<bool> condition, string what)
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!condition() && !run.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(10);
            }

            Assert.That(condition(), Is.True, what);
        }

        // Thumbnails of 64 KB: every sighting needs the database to grow, which a full disk refuses (smaller ones may
        // still fit into pages SQLite already has).
        await Until(() => pipeline.Metrics.Sightings.GetValueOrDefault("a") >= 3, "sightings are stored");
        disk.Fill();
        await Until(() => pipeline.StoreWriter.Fault is not null, "the full disk is noticed");

        Assert.That(pipeline.StoreWriter.Fault!.Error, Does.Contain("full").IgnoreCase);
        var stored = await repository.CountAsync();
        var listed = await repository.ListAsync(new ReId.Host.Pipeline.SightingQuery(null, null, null, 1000));
        Assert.That(listed, Has.Count.EqualTo(stored), "queries are answered on what is stored");
        var dropped = pipeline.Metrics.Store.Dropped;
        await Until(() => pipeline.Metrics.Store.QueueDepth() == 4, "the newest are held, up to the store queue's capacity");
        await Until(() => pipeline.Metrics.Store.Dropped > dropped, "beyond it the oldest are dropped, counted");
        Assert.That(pipeline.Metrics.Store.QueueDepth(), Is.EqualTo(4));
        Assert.That(log.Lines, Has.Some.Contains("the store cannot write: SQLite Error 13"));
        Assert.That(await repository.CountAsync(), Is.EqualTo(stored), "nothing is written meanwhile");
        Assert.That(run.IsCompleted, Is.False, "the pipeline goes on");

        disk.Free();
        await Until(() => pipeline.StoreWriter.Fault is null, "writing resumes by itself");
        await Until(() => repository.CountAsync().Result > stored + 2, "new sightings are stored again");

        await cts.CancelAsync();
        Assert.That(async () => await run.WaitAsync(TimeSpan.FromSeconds(30)), Throws.InstanceOf<OperationCanceledException>());
        await camera.DisposeAsync();
        await embedder.DisposeAsync();
    }

    [Test]
    public async Task StageQueue_DropOldestWithTheReaderBusy_HoldsTheNewestUpToItsCapacity()
    {
        var metrics = new StageMetrics("test");
        var queue = new StageQueue<int>(4, dropOldest: true, metrics);
        var taken = new TaskCompletionSource<int>();
        var release = new TaskCompletionSource();
        var reader = Task.Run(async () =>
        {
            await foreach (var i in queue.Reader.ReadAllAsync())
            {
                taken.TrySetResult(i);
                await release.Task;
            }
        });
        await queue.WriteAsync(0);
        Assert.That(await taken.Task.WaitAsync(TimeSpan.FromSeconds(10)), Is.Zero);
        for (var i = 1; i <= 20; i++)
        {
            await queue.WriteAsync(i);
            await Task.Yield();
        }

        Assert.That(queue.Count, Is.EqualTo(4));
        Assert.That(metrics.Dropped, Is.EqualTo(16));
        queue.Complete();
        release.SetResult();
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Test]
    public void StageQueue_DropOldestWhenFull_DisposesAndCountsTheDropped()
    {
        var metrics = new StageMetrics("test");
        var queue = new StageQueue<IFrame>(2, dropOldest: true, metrics);
        var counter = new Counter();
        var frames = Enumerable.Range(0, 5).Select(i =>
        {
            counter.Created();
            return new Frame("a", i, DateTimeOffset.UnixEpoch, counter);
        }).ToList();

        foreach (var f in frames)
        {
            Assert.That(queue.WriteAsync(f).IsCompletedSuccessfully, Is.True, "a drop-oldest queue never waits");
        }

        Assert.That(metrics.Dropped, Is.EqualTo(3));
        Assert.That(metrics.QueueDepth(), Is.EqualTo(2));
        Assert.That(counter.Live, Is.EqualTo(2));
        Assert.That(queue.Reader.TryRead(out var first), Is.True);
        Assert.That(first!.Sequence, Is.EqualTo(3), "the oldest went first");
        first.Dispose();
        queue.DrainAndDispose();
        Assert.That(counter.Live, Is.Zero);
    }

    [Test]
    public async Task EmbedderSlot_SwapWhileInUse_KeepsTheOldModelUntilItsCallEnds()
    {
        var old = new MeanColourEmbedder("v1");
        var slot = new EmbedderSlot(old);
        var lease = slot.Acquire();

        slot.Swap(new MeanColourEmbedder("v2"));

        Assert.That(slot.ModelVersion, Is.EqualTo("v2"));
        Assert.That(old.Disposed, Is.False, "a call still uses it");
        lease.Dispose();
        Assert.That(old.Disposed, Is.True);
        await slot.DisposeAsync();
    }

    [Test]
    public void Latency_Quantiles_AreTakenFromTheRecordedValues()
    {
        using var meter = new System.Diagnostics.Metrics.Meter("test");
        var recorder = new LatencyRecorder(meter.CreateHistogram<double>("latency_seconds"));
        for (var i = 1; i <= 100; i++)
        {
            recorder.Record(i);
        }

        Assert.That(recorder.Quantile(0.5), Is.EqualTo(50));
        Assert.That(recorder.Quantile(0.95), Is.EqualTo(95));
        Assert.That(recorder.Totals, Is.EqualTo((100L, 5050.0)));
    }
}
