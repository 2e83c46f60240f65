using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace ReId.Ingest.Tests;

public sealed class ReconnectBackoffTests
{
    [Test]
    public void Delay_NoJitter_DoublesUpToCap()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), () => 0.5);
        var delays = Enumerable.Range(0, 7).Select(a => backoff.Delay(a).TotalMilliseconds);
        Assert.That(delays, Is.EqualTo(new double[] { 100, 200, 400, 800, 1000, 1000, 1000 }));
    }

    [TestCase(0.0, 80)]
    [TestCase(0.999999, 120)]
    public void Delay_Jitter_WithinTwentyPercent(double random, double expectedMs) =>
        Assert.That(new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), () => random).Delay(0).TotalMilliseconds,
            Is.EqualTo(expectedMs).Within(0.01));

    [Test]
    public void Delay_HugeAttempt_CappedNeverAbove()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => 0.999999);
        Assert.That(backoff.Delay(int.MaxValue), Is.EqualTo(TimeSpan.FromSeconds(30)));
    }

    /// <summary>The camera's retry loop under fake time: each attempt starts exactly one back-off delay after the last failure.</summary>
    [Test]
    public async Task RunAsync_FailingLiveSource_RetriesOnBackoffScheduleForever()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var sessions = new ScriptedSessions(time);
        var options = new CameraOptions
        {
            Id = "cam", Url = "rtsp://admin:s3cret@cam.invalid/live",
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        };
        await using var camera = new Camera(options, null, time, sessions.RunAsync, random: () => 0.5);
        using var stop = new CancellationTokenSource();
        var run = camera.RunAsync(stop.Token);
        var expected = new[] { 100, 200, 400, 500, 500, 500 };
        for (var i = 0; i < expected.Length; i++)
        {
            await sessions.EndNextAsync(new SessionEnd(0, "connection refused: rtsp://admin:***@cam.invalid/live"));
            Assert.That(camera.Status.State, Is.EqualTo(CameraState.Reconnecting));
            time.Advance(TimeSpan.FromMilliseconds(expected[i] - 1));
            await Task.Delay(30);
            Assert.That(sessions.Starts, Has.Count.EqualTo(i + 1), $"retry {i + 1} came before its {expected[i]} ms delay");
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        await sessions.WaitForStartsAsync(expected.Length + 1);
        var status = camera.Status;
        await stop.CancelAsync();
        var final = await run;
        Assert.Multiple(() =>
        {
            Assert.That(sessions.Gaps(), Is.EqualTo(expected.Select(e => (double)e)));
            Assert.That(status.Reconnects, Is.EqualTo(expected.Length));
            Assert.That(status.LastError, Does.StartWith("connection refused"));
            Assert.That(status.Url, Is.EqualTo("rtsp://admin:***@cam.invalid/live"));
            Assert.That(final.State, Is.EqualTo(CameraState.Stopped));
        });
    }

    [Test]
    public async Task RunAsync_SessionThatStreamed_BackoffStartsOver()
    {
        var time = new FakeTimeProvider();
        var sessions = new ScriptedSessions(time);
        var options = new CameraOptions
        {
            Id = "cam", Url = "rtsp://cam.invalid/live",
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromSeconds(10),
        };
        await using var camera = new Camera(options, null, time, sessions.RunAsync, random: () => 0.5);
        using var stop = new CancellationTokenSource();
        var run = camera.RunAsync(stop.Token);
        // Fails twice, streams (one frame), fails again: the delay after the streaming session is the initial one.
        foreach (var (delay, frames) in new[] { (100, 0), (200, 0), (100, 1) })
        {
            await sessions.EndNextAsync(new SessionEnd(frames, "the stream ended"), publish: frames);
            time.Advance(TimeSpan.FromMilliseconds(delay));
        }

        await sessions.WaitForStartsAsync(4);
        await stop.CancelAsync();
        var final = await run;
        Assert.Multiple(() =>
        {
            Assert.That(sessions.Gaps(), Is.EqualTo(new double[] { 100, 200, 100 }));
            Assert.That(final.FramesDecoded, Is.EqualTo(1));
        });
    }

    /// <summary>Sessions the test ends one at a time. Ending one runs the camera's loop inline up to its next delay,
    /// so the delay's timer exists before the test advances the fake clock.</summary>
    private sealed class ScriptedSessions(FakeTimeProvider time)
    {
        private readonly ConcurrentQueue<(Camera Camera, TaskCompletionSource<SessionEnd> End)> _pending = new();

        public ConcurrentQueue<DateTimeOffset> Starts { get; } = new();

        public Task<SessionEnd> RunAsync(Camera camera, CancellationToken cancellationToken)
        {
            var end = new TaskCompletionSource<SessionEnd>();
            cancellationToken.Register(() => end.TrySetCanceled(cancellationToken));
            _pending.Enqueue((camera, end));
            Starts.Enqueue(time.GetUtcNow());
            return end.Task;
        }

        public Task WaitForStartsAsync(int count) =>
            TestEnvironment.WaitUntilAsync(() => Starts.Count >= count, TimeSpan.FromSeconds(10), () => $"{Starts.Count} of {count} attempts");

        public async Task EndNextAsync(SessionEnd end, int publish = 0)
        {
            await TestEnvironment.WaitUntilAsync(() => !_pending.IsEmpty, TimeSpan.FromSeconds(10), () => "a session to start");
            _pending.TryDequeue(out var session);
            for (var i = 0; i < publish; i++)
            {
                session.Camera.Publish(session.Camera.Pool.Rent());
            }

            // From a pool thread (no synchronisation context), so that the camera's continuation runs inline.
            await Task.Run(() => session.End.SetResult(end));
        }

        public double[] Gaps() => [.. Starts.Zip(Starts.Skip(1), (a, b) => (b - a).TotalMilliseconds)];
    }
}
