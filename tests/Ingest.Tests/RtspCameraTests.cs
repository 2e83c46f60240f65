using static ReId.Ingest.Tests.CameraTestHelpers;

namespace ReId.Ingest.Tests;

/// <summary>Cameras against a real GStreamer RTSP server on loopback.</summary>
public sealed class RtspCameraTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [TestCase(RtspTransport.Tcp)]
    [TestCase(RtspTransport.Udp)]
    public async Task RunAsync_LivePattern_FramesOfConfiguredSizeInOrderWithWallClockTimes(RtspTransport transport)
    {
        var server = await TestEnvironment.SharedServerAsync();
        var options = Options("pattern-" + transport, server.Url("pattern"), o => o.Transport = transport);
        await using var camera = new Camera(options);
        using var stop = new CancellationTokenSource();
        var started = DateTimeOffset.UtcNow;
        var run = camera.RunAsync(stop.Token);
        var frames = await TakeAsync(camera, 20, Patience);
        var status = camera.Status;
        await stop.CancelAsync();
        var final = await run;

        AssertWellFormed(frames, options);
        Assert.Multiple(() =>
        {
            // Live frames carry the wall clock at arrival.
            Assert.That(frames[0].CaptureTime, Is.GreaterThanOrEqualTo(started));
            Assert.That(frames.Select(f => f.CaptureTime), Is.All.LessThanOrEqualTo(DateTimeOffset.UtcNow));
            Assert.That(status.State, Is.EqualTo(CameraState.Streaming));
            Assert.That((status.SourceWidth, status.SourceHeight), Is.EqualTo((640, 360)));
            Assert.That(final.State, Is.EqualTo(CameraState.Stopped));
            Assert.That(final.FramesDelivered, Is.GreaterThanOrEqualTo(20));
            Assert.That(final.LastError, Is.Null);
        });
    }

    [Test]
    public async Task RunAsync_SampleVideoOverRtsp_FramesFlow()
    {
        var server = await TestEnvironment.SharedServerAsync();
        var options = Options("video", server.VideoUrl());
        await using var camera = new Camera(options);
        using var stop = new CancellationTokenSource();
        var run = camera.RunAsync(stop.Token);
        var frames = await TakeAsync(camera, 10, Patience);
        await stop.CancelAsync();
        await run;
        AssertWellFormed(frames, options);
    }

    [Test]
    public async Task RunAsync_Cancelled_NoFfmpegLeftBehind()
    {
        var server = await TestEnvironment.SharedServerAsync();
        await using var camera = new Camera(Options("cancel", server.Url("pattern")));
        using var stop = new CancellationTokenSource();
        var run = camera.RunAsync(stop.Token);
        await TakeAsync(camera, 3, Patience);
        var pid = camera.Status.DecoderProcessId;
        Assert.That(pid, Is.Not.Null);
        Assert.That(TestEnvironment.IsFfmpegRunning(pid!.Value), Is.True);

        await stop.CancelAsync();
        var final = await run;
        // The reader ends once the frames still queued are taken.
        await DrainAsync(camera);
        Assert.Multiple(() =>
        {
            Assert.That(TestEnvironment.IsFfmpegRunning(pid.Value), Is.False, $"ffmpeg {pid} still runs after the camera stopped");
            Assert.That(final.State, Is.EqualTo(CameraState.Stopped));
            Assert.That(final.DecoderProcessId, Is.Null);
            Assert.That(camera.Frames.Completion.IsCompleted, Is.True);
        });
    }

    [TestCase(RtspTransport.Tcp)]
    [TestCase(RtspTransport.Udp)]
    public async Task RunAsync_ServerKilledAndRestarted_ReconnectsAndFramesFlowAgain(RtspTransport transport)
    {
        var media = await TestEnvironment.MediaAsync();
        using var server = new RtspTestServer(media.RtspVideo);
        await server.StartAsync();
        await using var camera = new Camera(Options("flaky", server.Url("pattern"), o => o.Transport = transport));
        using var stop = new CancellationTokenSource();
        var run = camera.RunAsync(stop.Token);
        var before = await TakeAsync(camera, 5, Patience);

        await server.KillAsync();
        await TestEnvironment.WaitUntilAsync(() => camera.Status.State == CameraState.Reconnecting, Patience, () => camera.Status.ToString());
        // While the server is down the camera keeps retrying (and failing) without giving up.
        await TestEnvironment.WaitUntilAsync(() => camera.Status.Reconnects >= 2, Patience, () => camera.Status.ToString());
        var down = camera.Status;

        await server.StartAsync();
        var after = await TakeAsync(camera, 5, Patience);
        await stop.CancelAsync();
        var final = await run;

        Assert.Multiple(() =>
        {
            Assert.That(down.State, Is.EqualTo(CameraState.Reconnecting));
            Assert.That(down.LastError, Is.Not.Null);
            Assert.That(after[0].Sequence, Is.GreaterThan(before[^1].Sequence), "sequence numbers keep increasing across reconnects");
            Assert.That(final.Reconnects, Is.GreaterThanOrEqualTo(2));
            Assert.That(final.State, Is.EqualTo(CameraState.Stopped));
            Assert.That(run.IsCompletedSuccessfully, Is.True);
        });
    }

    [Test]
    public async Task RunAsync_NobodyListening_ReconnectingWithConnectionRefusedAndMaskedPassword()
    {
        var port = TestEnvironment.FreeTcpPort();
        await using var camera = new Camera(Options("refused", $"rtsp://admin:s3cret@127.0.0.1:{port}/live"));
        var status = await StatusAtFirstReconnectAsync(camera, Patience);

        Assert.Multiple(() =>
        {
            Assert.That(status.State, Is.EqualTo(CameraState.Reconnecting));
            Assert.That(status.LastError, Does.StartWith("connection refused"));
            Assert.That(status.LastError, Does.Not.Contain("s3cret"));
            Assert.That(status.Url, Is.EqualTo($"rtsp://admin:***@127.0.0.1:{port}/live"));
        });
    }

    [Test]
    public async Task RunAsync_WrongPath_ReconnectingWithNotFound()
    {
        var server = await TestEnvironment.SharedServerAsync();
        await using var camera = new Camera(Options("wrong-path", server.Url("no-such-stream")));
        using var stop = new CancellationTokenSource();
        var run = camera.RunAsync(stop.Token);
        await TestEnvironment.WaitUntilAsync(() => camera.Status.LastError is not null, Patience, () => camera.Status.ToString());
        var status = camera.Status;
        await stop.CancelAsync();
        await run;

        Assert.Multiple(() =>
        {
            Assert.That(status.State, Is.EqualTo(CameraState.Reconnecting));
            Assert.That(status.LastError, Does.Contain("404 Not Found"));
            Assert.That(status.FramesDecoded, Is.Zero);
        });
    }

    [Test]
    public async Task RunAsync_BrokenCamerasBesideGoodOne_GoodOneKeepsStreaming()
    {
        var server = await TestEnvironment.SharedServerAsync();
        var media = await TestEnvironment.MediaAsync();
        var broken = new[]
        {
            Options("unreachable", $"rtsp://127.0.0.1:{TestEnvironment.FreeTcpPort()}/live"),
            Options("wrong-path", server.Url("nothing-here")),
            Options("not-a-video", media.NotAVideo),
            Options("missing-file", Path.Combine(media.Directory, "missing.mp4")),
        };
        await using var good = new Camera(Options("good", server.Url("pattern")));
        var cameras = broken.Select(o => new Camera(o)).ToList();
        using var stop = new CancellationTokenSource();
        var runs = cameras.Select(c => c.RunAsync(stop.Token)).ToList();
        var drains = cameras.Select(DrainAsync).ToList();
        var goodRun = good.RunAsync(stop.Token);
        try
        {
            await TestEnvironment.WaitUntilAsync(() => cameras.All(c => c.Status.LastError is not null), Patience,
                () => string.Join("; ", cameras.Select(c => c.Status)));
            var first = await TakeAsync(good, 5, Patience);
            var later = await TakeAsync(good, 10, Patience);
            Assert.Multiple(() =>
            {
                Assert.That(later[^1].Sequence, Is.GreaterThan(first[^1].Sequence));
                Assert.That(good.Status.State, Is.EqualTo(CameraState.Streaming));
                Assert.That(cameras.Select(c => c.Status.State), Is.All.AnyOf(CameraState.Reconnecting, CameraState.Failed));
            });
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(runs);
            await goodRun;
            await Task.WhenAll(drains);
            foreach (var camera in cameras)
            {
                await camera.DisposeAsync();
            }
        }

        Assert.That(runs.Select(r => r.IsCompletedSuccessfully), Is.All.True, "no exception escaped a camera");
    }
}
