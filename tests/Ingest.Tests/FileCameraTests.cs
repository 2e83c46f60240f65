using static ReId.Ingest.Tests.CameraTestHelpers;

namespace ReId.Ingest.Tests;

/// <summary>Cameras reading local video files.</summary>
public sealed class FileCameraTests
{
    private static readonly DateTimeOffset Recorded = new(2026, 3, 14, 9, 26, 53, TimeSpan.Zero);

    [Test]
    public async Task RunAsync_FastFileWithStartTime_AllFramesTimedFromStartThenStopped()
    {
        var video = TestEnvironment.SampleVideo();
        var options = Options("file", video, o =>
        {
            o.Pace = FilePace.Fast;
            o.StartTime = Recorded;
            o.QueueCapacity = 1000;
        });
        await using var camera = new Camera(options);
        var collecting = TakeAsync(camera, int.MaxValue, TimeSpan.FromSeconds(60));
        var final = await camera.RunAsync();
        var frames = await collecting;

        AssertWellFormed(frames, options);
        Assert.Multiple(() =>
        {
            // vtest.avi: 795 frames at 10 fps (79.5 s); output at the same 10 fps.
            Assert.That(frames, Has.Count.InRange(790, 800));
            Assert.That(frames.Select(f => f.Sequence), Is.EqualTo(Enumerable.Range(0, frames.Count).Select(i => (long)i)));
            Assert.That(frames[0].CaptureTime, Is.EqualTo(Recorded));
            Assert.That(frames[100].CaptureTime, Is.EqualTo(Recorded.AddSeconds(10)));
            Assert.That(final.State, Is.EqualTo(CameraState.Stopped));
            Assert.That(final.LastError, Is.Null);
            Assert.That(final.FramesDropped, Is.Zero);
            Assert.That(final.FramesDelivered, Is.EqualTo(frames.Count));
            Assert.That((final.SourceWidth, final.SourceHeight), Is.EqualTo((768, 576)));
            Assert.That(camera.Pool.Outstanding, Is.Zero);
        });
    }

    [Test]
    public async Task RunAsync_RealtimeFile_PlaysAtItsOwnPace()
    {
        var video = TestEnvironment.SampleVideo();
        await using var camera = new Camera(Options("paced", video, o => o.Pace = FilePace.Realtime));
        using var stop = new CancellationTokenSource();
        var run = camera.RunAsync(stop.Token);
        var frames = await TakeAsync(camera, 3, TimeSpan.FromSeconds(20));
        var first = frames[0].ReceivedAt;
        await TakeAsync(camera, 10, TimeSpan.FromSeconds(20));
        var elapsed = DateTimeOffset.UtcNow - first;
        await stop.CancelAsync();
        await run;
        // 10 frames at 10 fps take about a second when paced; read as fast as possible they take milliseconds.
        Assert.That(elapsed, Is.GreaterThan(TimeSpan.FromSeconds(0.5)));
    }

    [Test]
    public async Task RunAsync_NotAVideo_FailedWithClearMessage()
    {
        var media = await TestEnvironment.MediaAsync();
        await using var camera = new Camera(Options("text", media.NotAVideo, o => o.Pace = FilePace.Fast));
        var final = await camera.RunAsync();
        Assert.Multiple(() =>
        {
            Assert.That(final.State, Is.EqualTo(CameraState.Failed));
            Assert.That(final.LastError, Does.StartWith("not a video").And.Contain("not-a-video.mp4"));
            Assert.That(final.FramesDecoded, Is.Zero);
            Assert.That(camera.Frames.Completion.IsCompleted, Is.True);
        });
    }

    [Test]
    public async Task RunAsync_MissingFile_FailedNoSuchFile()
    {
        var media = await TestEnvironment.MediaAsync();
        await using var camera = new Camera(Options("missing", Path.Combine(media.Directory, "missing.mp4")));
        var final = await camera.RunAsync();
        Assert.Multiple(() =>
        {
            Assert.That(final.State, Is.EqualTo(CameraState.Failed));
            Assert.That(final.LastError, Does.StartWith("no such file"));
        });
    }

    [Test]
    public async Task RunAsync_TruncatedVideoIndexAtEnd_FailedTruncated()
    {
        var media = await TestEnvironment.MediaAsync();
        if (media.TruncatedIndexAtEnd is null)
        {
            Assert.Ignore("sample video absent");
        }

        await using var camera = new Camera(Options("cut", media.TruncatedIndexAtEnd, o => o.Pace = FilePace.Fast));
        var final = await camera.RunAsync();
        Assert.Multiple(() =>
        {
            Assert.That(final.State, Is.EqualTo(CameraState.Failed));
            Assert.That(final.LastError, Does.StartWith("the video is truncated or damaged").And.Contain("moov atom not found"));
        });
    }

    [Test]
    public async Task RunAsync_TruncatedVideoPlayable_FramesThenFailedTruncated()
    {
        var media = await TestEnvironment.MediaAsync();
        if (media.TruncatedPartial is null)
        {
            Assert.Ignore("sample video absent");
        }

        await using var camera = new Camera(Options("cut", media.TruncatedPartial, o => o.Pace = FilePace.Fast));
        var draining = DrainAsync(camera);
        var final = await camera.RunAsync();
        var frames = await draining;
        Assert.Multiple(() =>
        {
            // 20 s at 10 fps cut in half: some frames, then the damage is reported.
            Assert.That(frames, Is.InRange(10, 199));
            Assert.That(final.State, Is.EqualTo(CameraState.Failed));
            Assert.That(final.LastError, Does.StartWith("the video is truncated or damaged").And.Contain("partial file"));
        });
    }

    [Test]
    public async Task RunAsync_SlowConsumerWithBackPressure_EveryFrameDeliveredNoneDroppedNoStall()
    {
        var video = TestEnvironment.SampleVideo();
        var options = Options("waiting", video, o =>
        {
            o.Pace = FilePace.Fast;
            o.WhenQueueFull = QueueFullMode.Wait;
            o.QueueCapacity = 4;
            // A consumer pause longer than this must not count as a stalled source.
            o.StallTimeout = TimeSpan.FromSeconds(1);
        });
        await using var camera = new Camera(options);
        var run = camera.RunAsync();
        long maxOutstanding = 0;
        var sequences = new List<long>();
        await foreach (var frame in camera.Frames.ReadAllAsync())
        {
            using (frame)
            {
                sequences.Add(frame.Sequence);
                maxOutstanding = Math.Max(maxOutstanding, camera.Pool.Outstanding);
                await Task.Delay(sequences.Count == 10 ? 2500 : 2);
            }
        }

        var ended = await run;
        // Counted once the consumer has taken the last frame.
        var final = camera.Status;
        Assert.Multiple(() =>
        {
            Assert.That(ended.State, Is.EqualTo(CameraState.Stopped));
            Assert.That(ended.LastError, Is.Null);
            Assert.That(final.FramesDropped, Is.Zero);
            Assert.That(sequences, Has.Count.InRange(790, 800));
            Assert.That(sequences, Is.EqualTo(Enumerable.Range(0, sequences.Count).Select(i => (long)i)));
            Assert.That(final.FramesDelivered, Is.EqualTo(final.FramesDecoded));
            Assert.That(maxOutstanding, Is.LessThanOrEqualTo(options.QueueCapacity + 2));
            Assert.That(camera.Pool.Outstanding, Is.Zero);
        });
    }

    [Test]
    public async Task RunAsync_SlowConsumer_OldestDroppedCountedMemoryBounded()
    {
        var video = TestEnvironment.SampleVideo();
        var options = Options("slow", video, o =>
        {
            o.Pace = FilePace.Fast;
            // A fast file waits for its consumer by default; this one is asked to drop as a live camera does.
            o.WhenQueueFull = QueueFullMode.DropOldest;
            o.QueueCapacity = 4;
        });
        await using var camera = new Camera(options);
        var run = camera.RunAsync();
        long read = 0;
        long maxOutstanding = 0;
        var sequences = new List<long>();
        await foreach (var frame in camera.Frames.ReadAllAsync())
        {
            using (frame)
            {
                sequences.Add(frame.Sequence);
                read++;
                maxOutstanding = Math.Max(maxOutstanding, camera.Pool.Outstanding);
                // A consumer far slower than decoding.
                await Task.Delay(20);
            }
        }

        await run;
        // Counted once the consumer has taken the last frame.
        var final = camera.Status;
        Assert.Multiple(() =>
        {
            Assert.That(final.FramesDropped, Is.GreaterThan(0));
            Assert.That(final.FramesDelivered + final.FramesDropped, Is.EqualTo(final.FramesDecoded));
            Assert.That(read, Is.EqualTo(final.FramesDelivered));
            Assert.That(sequences, Is.Ordered.Ascending.And.Unique);
            // Queue + the frame held here + the one being filled: memory does not grow with the backlog.
            Assert.That(maxOutstanding, Is.LessThanOrEqualTo(options.QueueCapacity + 2));
            Assert.That(camera.Pool.Allocated, Is.LessThanOrEqualTo(options.QueueCapacity + 6));
            Assert.That(camera.Pool.Outstanding, Is.Zero);
        });
    }

    [Test]
    public async Task DecodeBaseline_SampleVideo_DecodesEveryFrameToNullSink()
    {
        var video = TestEnvironment.SampleVideo();
        var result = await DecodeBaseline.RunAsync(Options("raw", video, o => o.Pace = FilePace.Fast), TimeSpan.FromSeconds(60));
        Assert.Multiple(() =>
        {
            Assert.That(result.Error, Is.Null);
            Assert.That(result.Frames, Is.InRange(790, 800));
            Assert.That(result.Fps, Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task ProbeAsync_SampleVideo_SourceSizeAndRate()
    {
        var (video, error) = await DecodeBaseline.ProbeAsync(Options("probe", TestEnvironment.SampleVideo()));
        Assert.Multiple(() =>
        {
            Assert.That(error, Is.Null);
            Assert.That(video, Is.EqualTo(new SourceVideo("msmpeg4v3", 768, 576, 10)));
        });
    }

    [Test]
    public async Task ProbeAsync_NotAVideo_Error()
    {
        var media = await TestEnvironment.MediaAsync();
        var (video, error) = await DecodeBaseline.ProbeAsync(Options("probe", media.NotAVideo));
        Assert.Multiple(() =>
        {
            Assert.That(video, Is.Null);
            Assert.That(error, Does.StartWith("not a video"));
        });
    }
}
