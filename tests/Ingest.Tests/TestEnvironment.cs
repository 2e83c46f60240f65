using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ReId.Ingest.Tests;

/// <summary>Paths, media made for the tests, and the shared loopback RTSP server (started on first use).</summary>
internal static class TestEnvironment
{
    private static readonly Lazy<Task<TestMedia>> MediaTask = new(() => TestMedia.CreateAsync(SampleVideoOrNull()));
    private static readonly Lock ServerGate = new();
    private static RtspTestServer? _server;

    public static string RepoRoot => SharedData.RepoRoot;

    public static string OutputDirectory => TestContext.CurrentContext.TestDirectory;

    /// <summary>The sample video: REID_SAMPLE_VIDEO, else ../shared/media/vtest.avi, else Debian's opencv-doc copy.</summary>
    public static string? SampleVideoOrNull() => RepoPaths.SampleVideo();

    public static string SampleVideo() =>
        SampleVideoOrNull() ?? IgnoreAndThrow("sample video absent: set REID_SAMPLE_VIDEO, place ../shared/media/vtest.avi or install opencv-doc");

    public static Task<TestMedia> MediaAsync() => MediaTask.Value;

    /// <summary>The server all tests share; tests that kill a server start their own.</summary>
    public static async Task<RtspTestServer> SharedServerAsync()
    {
        var media = await MediaAsync().ConfigureAwait(false);
        lock (ServerGate)
        {
            _server ??= new RtspTestServer(media.RtspVideo);
        }

        await _server.StartAsync().ConfigureAwait(false);
        return _server;
    }

    public static void Shutdown()
    {
        _server?.Dispose();
        if (MediaTask.IsValueCreated && MediaTask.Value.IsCompletedSuccessfully)
        {
            MediaTask.Value.Result.Dispose();
        }
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True while a process with this id runs ffmpeg (pids are reused, so the program name is checked).</summary>
    public static bool IsFfmpegRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }

            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // A zombie (state Z) is gone in all but name.
            var afterName = stat[(stat.LastIndexOf(')') + 2)..];
            return process.ProcessName.Contains("ffmpeg", StringComparison.Ordinal) && !afterName.StartsWith('Z');
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"Not reached within {timeout.TotalSeconds:0} s: {describe()}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private static string IgnoreAndThrow(string reason)
    {
        Assert.Ignore(reason);
        return reason;
    }
}

[SetUpFixture]
public sealed class TestEnvironmentTeardown
{
    [OneTimeTearDown]
    public void StopServers() => TestEnvironment.Shutdown();
}
