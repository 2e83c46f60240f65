namespace ReId.Ingest.Tests;

/// <summary>What a test consumer saw of one frame (the frame itself is disposed at once).</summary>
internal sealed record SeenFrame(string CameraId, long Sequence, DateTimeOffset CaptureTime, int Width, int Height, int Bytes, DateTimeOffset ReceivedAt);

internal static class CameraTestHelpers
{
    public static CameraOptions Options(string id, string url, Action<CameraOptions>? change = null)
    {
        var options = new CameraOptions
        {
            Id = id,
            Url = url,
            Width = 320,
            Height = 180,
            Fps = 10,
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(200),
            ReconnectMaxDelay = TimeSpan.FromSeconds(1),
            StallTimeout = TimeSpan.FromSeconds(5),
        };
        change?.Invoke(options);
        return options;
    }

    /// <summary>Runs a camera that cannot stream until its first reconnect; returns its status then, after stopping it.</summary>
    public static async Task<CameraStatus> StatusAtFirstReconnectAsync(Camera camera, TimeSpan timeout)
    {
        using var stop = new CancellationTokenSource();
        var run = camera.RunAsync(stop.Token);
        await TestEnvironment.WaitUntilAsync(() => camera.Status.Reconnects >= 1, timeout, () => camera.Status.ToString());
        var status = camera.Status;
        await stop.CancelAsync();
        await run;
        return status;
    }

    /// <summary>Reads <paramref name="count"/> frames (or until the camera completes), disposing each.</summary>
    public static async Task<List<SeenFrame>> TakeAsync(Camera camera, int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = new List<SeenFrame>();
        try
        {
            await foreach (var frame in camera.Frames.ReadAllAsync(cts.Token))
            {
                using (frame)
                {
                    seen.Add(new SeenFrame(frame.CameraId, frame.Sequence, frame.CaptureTime, frame.Width, frame.Height,
                        frame.Bgr.Length, DateTimeOffset.UtcNow));
                }

                if (seen.Count >= count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Camera {camera.Id}: {seen.Count} of {count} frames within {timeout.TotalSeconds:0} s; status {camera.Status}");
        }

        return seen;
    }

    /// <summary>Reads and disposes every frame until the camera completes; returns how many.</summary>
    public static async Task<long> DrainAsync(Camera camera)
    {
        long count = 0;
        await foreach (var frame in camera.Frames.ReadAllAsync())
        {
            frame.Dispose();
            count++;
        }

        return count;
    }

    public static void AssertWellFormed(IReadOnlyList<SeenFrame> frames, CameraOptions options)
    {
        Assert.Multiple(() =>
        {
            Assert.That(frames.Select(f => f.CameraId), Is.All.EqualTo(options.Id));
            Assert.That(frames.Select(f => (f.Width, f.Height)), Is.All.EqualTo((options.Width, options.Height)));
            Assert.That(frames.Select(f => f.Bytes), Is.All.EqualTo(options.Width * options.Height * 3));
            Assert.That(frames.Select(f => f.Sequence), Is.Ordered.Ascending.And.Unique);
            Assert.That(frames.Select(f => f.CaptureTime), Is.Ordered.Ascending);
        });
    }
}
