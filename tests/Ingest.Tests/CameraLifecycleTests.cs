using static ReId.Ingest.Tests.CameraTestHelpers;

namespace ReId.Ingest.Tests;

public sealed class CameraLifecycleTests
{
    [Test]
    public async Task RunAsync_FfmpegMissing_FailedSayingSo()
    {
        await using var camera = new Camera(Options("no-ffmpeg", "rtsp://127.0.0.1:1/live", o => o.FfmpegPath = "/nonexistent/ffmpeg"));
        var final = await camera.RunAsync();
        Assert.Multiple(() =>
        {
            // Retrying cannot help, even for a live camera.
            Assert.That(final.State, Is.EqualTo(CameraState.Failed));
            Assert.That(final.LastError, Does.Contain("ffmpeg could not be started").And.Contain("/nonexistent/ffmpeg"));
            Assert.That(final.Reconnects, Is.Zero);
        });
    }

    [Test]
    public async Task RunAsync_Twice_Throws()
    {
        await using var camera = new Camera(Options("twice", "/nonexistent.mp4"));
        await camera.RunAsync();
        Assert.That(() => camera.RunAsync(), Throws.InvalidOperationException);
    }

    [Test]
    public async Task DisposeAsync_Twice_HarmlessAndRunAfterwardsThrows()
    {
        var camera = new Camera(Options("disposed", "/nonexistent.mp4"));
        await camera.DisposeAsync();
        await camera.DisposeAsync();
        Assert.That(() => camera.RunAsync(), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void Constructor_InvalidOptions_ThrowsNamingKey()
    {
        var error = Assert.Throws<ArgumentException>(() => _ = new Camera(Options("bad", "rtsp://cam/live", o => o.Fps = -1)));
        Assert.That(error.Message, Does.Contain("Camera[bad]:Fps has the bad value '-1'"));
    }
}
