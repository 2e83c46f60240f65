using System.Net;
using System.Net.Sockets;
using static ReId.Ingest.Tests.CameraTestHelpers;

namespace ReId.Ingest.Tests;

/// <summary>Camera faults reported as what they are: a server that never answers, a trickling stream, a recovery.</summary>
public sealed class CameraFaultTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task RunAsync_ServerAcceptsAndNeverAnswers_ReportedAsTimeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var held = new List<TcpClient>();
        using var stopAccepting = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    held.Add(await listener.AcceptTcpClientAsync(stopAccepting.Token));
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var camera = new Camera(Options("silent", $"rtsp://127.0.0.1:{port}/live"));
        var status = await StatusAtFirstReconnectAsync(camera, Patience);
        await stopAccepting.CancelAsync();
        await accepting;
        held.ForEach(c => c.Dispose());

        Assert.That(status.LastError, Does.StartWith("no answer from the camera (timed out)").And.Not.Contain("invalid data"));
    }

    private sealed class Lines : Microsoft.Extensions.Logging.ILogger<Camera>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
        public IReadOnlyCollection<string> All => _lines;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }

    /// <summary>A stand-in for ffmpeg that writes one 16x16 BGR frame a second, whatever it is asked.</summary>
    private static string TricklingDecoder()
    {
        Assume.That(OperatingSystem.IsLinux(), "the stand-in decoder is a shell script");
        if (!OperatingSystem.IsLinux())
        {
            return "";
        }

        var path = Path.Combine(Path.GetTempPath(), $"reid-trickle-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, "#!/bin/sh\nwhile true; do head -c 768 /dev/zero; sleep 1; done\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Test]
    public async Task RunAsync_StreamTricklesFarBelowItsRate_CountsAsStallAndReconnects()
    {
        var decoder = TricklingDecoder();
        try
        {
            var options = Options("trickle", "rtsp://127.0.0.1:9/live", o =>
            {
                o.FfmpegPath = decoder;
                o.Width = 16;
                o.Height = 16;
                o.Fps = 10;
                o.StallTimeout = TimeSpan.FromSeconds(3);
            });
            var log = new Lines();
            await using var camera = new Camera(options, log);
            using var stop = new CancellationTokenSource();
            var run = camera.RunAsync(stop.Token);
            var drain = TakeAsync(camera, int.MaxValue, Patience);
            await TestEnvironment.WaitUntilAsync(() => log.All.Any(l => l.Contains("the stream trickled")), Patience, () => camera.Status.ToString());
            // The next session streams again (a frame arrives): the status no longer shows the old failure.
            await TestEnvironment.WaitUntilAsync(() => camera.Status is { Reconnects: >= 1, State: CameraState.Streaming }, Patience, () => camera.Status.ToString());
            var recovered = camera.Status;
            await stop.CancelAsync();
            await run;
            await drain;

            Assert.That(log.All.First(l => l.Contains("the stream trickled")),
                Does.Contain("frames in 3 s where about 30 were expected (10 fps)"), "a frame a second at 10 fps is a stall, though frames still come");
            Assert.That(recovered.LastError, Is.Null);
            Assert.That(recovered.LastErrorTime, Is.Null);
        }
        finally
        {
            File.Delete(decoder);
        }
    }
}
