using System.Diagnostics;

namespace ReId.Ingest.Tests;

/// <summary>
/// Debian's GStreamer RTSP server (tools/rtsp-server.py through /usr/bin/python3 with gi) on a free loopback port:
/// /pattern is a live 640x360 25 fps test pattern, /cam0 the given H.264 file in real time. Can be killed and
/// started again on the same port. Should the server die by itself, it is started again at once, so that one
/// crash of the server (not the code under test) does not fail the tests that share it.
/// </summary>
internal sealed class RtspTestServer : IDisposable
{
    private readonly string? _video;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Process? _process;
    private volatile bool _stopped = true;

    public RtspTestServer(string? video)
    {
        _video = video;
        Port = TestEnvironment.FreeTcpPort();
    }

    public int Port { get; }

    public string Url(string path) => $"rtsp://127.0.0.1:{Port}/{path.TrimStart('/')}";

    /// <summary>The URL of the video mount; ignores the test when the sample video is absent.</summary>
    public string VideoUrl()
    {
        if (_video is null)
        {
            Assert.Ignore("sample video absent: set REID_SAMPLE_VIDEO or place ../shared/media/vtest.avi");
        }

        return Url("cam0");
    }

    public async Task StartAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_process is { HasExited: false })
            {
                return;
            }

            _process?.Dispose();
            var script = Path.Combine(TestEnvironment.OutputDirectory, "rtsp-server.py");
            var info = new ProcessStartInfo("/usr/bin/python3")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            info.ArgumentList.Add(script);
            info.ArgumentList.Add("--port");
            info.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            info.ArgumentList.Add("--pattern");
            if (_video is not null)
            {
                info.ArgumentList.Add("--video");
                info.ArgumentList.Add(_video);
            }

            var process = Process.Start(info)!;
            _process = process;
            _stopped = false;
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                line = null;
            }

            if (line is null || !line.StartsWith("READY", StringComparison.Ordinal))
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().ConfigureAwait(false);
                Assert.Fail($"The RTSP test server did not start (needs /usr/bin/python3 with gi and gir1.2-gst-rtsp-server-1.0, see setup.sh): {line} {await stderr.ConfigureAwait(false)}");
            }

            _ = RestartIfItDiesAsync(process, stderr);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Kills the server at once (SIGKILL), as a crashed camera would vanish; it stays down until started.</summary>
    public async Task KillAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _stopped = true;
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RestartIfItDiesAsync(Process process, Task<string> stderr)
    {
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (_stopped || !ReferenceEquals(process, _process))
        {
            return;
        }

        await TestContext.Progress.WriteLineAsync($"RTSP test server died by itself ({await stderr.ConfigureAwait(false)}); starting it again.").ConfigureAwait(false);
        try
        {
            await StartAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Disposed meanwhile, or it cannot start again: the tests using it report the missing server.
            await TestContext.Progress.WriteLineAsync($"RTSP test server not restarted: {e.Message}").ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _stopped = true;
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        _process?.Dispose();
        _gate.Dispose();
    }
}
