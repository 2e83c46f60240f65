namespace ReId.Ingest.Tests;

/// <summary>
/// The loopback RTSP server of the test support project (<see cref="RtspServer"/>) on a fixed free port: /pattern
/// is a live 640x360 25 fps test pattern, /cam0 the given H.264 file in real time. Can be killed and started again
/// on the same port. Should the server die by itself, it is started again at once, so that one crash of the server
/// (not the code under test) does not fail the tests that share it.
/// </summary>
internal sealed class RtspTestServer : IDisposable
{
    private readonly string? _video;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RtspServer? _server;
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
            if (_server is { Exited.IsCompleted: false })
            {
                return;
            }

            _server?.Dispose();
            _server = null;
            RtspServer server;
            try
            {
                server = await RtspServer.StartAsync(Port, _video, mounts: 1, pattern: true).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                Assert.Fail($"The RTSP test server did not start: {e.Message}");
                throw;
            }

            _server = server;
            _stopped = false;
            _ = RestartIfItDiesAsync(server);
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
            if (_server is { } server)
            {
                await server.KillAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RestartIfItDiesAsync(RtspServer server)
    {
        await server.Exited.ConfigureAwait(false);
        if (_stopped || !ReferenceEquals(server, _server))
        {
            return;
        }

        await TestContext.Progress.WriteLineAsync($"RTSP test server died by itself ({await server.Errors.ConfigureAwait(false)}); starting it again.").ConfigureAwait(false);
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
        _server?.Dispose();
        _gate.Dispose();
    }
}
