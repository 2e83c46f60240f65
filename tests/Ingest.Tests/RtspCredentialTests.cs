using static ReId.Ingest.Tests.CameraTestHelpers;

namespace ReId.Ingest.Tests;

/// <summary>An RTSP server that asks for a password (digest): the password reaches it, but never ffmpeg's command line.</summary>
[NonParallelizable]
public sealed class RtspCredentialTests
{
    private const string Password = "s3cr#t pw";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private RtspServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        try
        {
            _server = await RtspServer.StartAsync(0, null, 0, pattern: true, credentials: "viewer:" + Password);
        }
        catch (InvalidOperationException e)
        {
            Assert.Ignore($"the RTSP test server did not start (see setup.sh): {e.Message}");
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private string Url(string password) =>
        $"rtsp://viewer:{Uri.EscapeDataString(password)}@127.0.0.1:{_server.Port}/pattern";

    [Test]
    public async Task RunAsync_PasswordProtectedCamera_StreamsWithThePasswordAbsentFromFfmpegsCommandLine()
    {
        await using var camera = new Camera(Options("protected", Url(Password)));
        using var stop = new CancellationTokenSource();
        var run = camera.RunAsync(stop.Token);
        var frames = await TakeAsync(camera, 5, Patience);
        var pid = camera.Status.DecoderProcessId;
        Assert.That(pid, Is.Not.Null, "ffmpeg runs");
        var argv = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        await stop.CancelAsync();
        await run;

        Assert.That(frames, Has.Count.EqualTo(5), "the server took the password");
        Assert.That(string.Join(' ', argv), Does.Not.Contain("s3cr").And.Not.Contain(Uri.EscapeDataString(Password)).And.Contain("-f concat"));
        var list = argv[Array.IndexOf(argv, "-i") + 1];
        Assert.That(File.Exists(list), Is.False, "the list with the password is deleted once ffmpeg has read it");
    }

    [Test]
    public async Task RunAsync_WrongPassword_ReconnectingWithUnauthorizedAndNothingLeftBehind()
    {
        var before = Directory.Exists("/dev/shm") ? Directory.GetDirectories("/dev/shm", "reid-input-*").Length : 0;
        await using var camera = new Camera(Options("wrong", Url("not-it")));
        var status = await StatusAtFirstReconnectAsync(camera, Patience);

        Assert.That(status.LastError, Does.Contain("401").Or.Contain("unauthorized").IgnoreCase);
        Assert.That(status.LastError, Does.Not.Contain("not-it").And.Not.Contain("reid-input"));
        if (Directory.Exists("/dev/shm"))
        {
            Assert.That(Directory.GetDirectories("/dev/shm", "reid-input-*"), Has.Length.LessThanOrEqualTo(before), "every list file was deleted");
        }
    }
}
