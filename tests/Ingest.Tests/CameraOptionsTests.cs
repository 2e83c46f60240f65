using System.Text;
using Microsoft.Extensions.Configuration;

namespace ReId.Ingest.Tests;

public sealed class CameraOptionsTests
{
    private static CameraOptions Valid() => new() { Id = "lobby", Url = "rtsp://cam.local/live" };

    [Test]
    public void Validate_Defaults_Pass() => Assert.DoesNotThrow(Valid().Validate);

    [TestCase(nameof(CameraOptions.Width), 641, "Width 641")]
    [TestCase(nameof(CameraOptions.Height), 0, "Height 0")]
    [TestCase(nameof(CameraOptions.QueueCapacity), 0, "QueueCapacity 0")]
    public void Validate_BadNumber_NamesKeyAndValue(string key, int value, string expected)
    {
        var options = Valid();
        typeof(CameraOptions).GetProperty(key)!.SetValue(options, value);
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(error.Message, Does.Contain(expected).And.Contain("lobby"));
    }

    [TestCase("rtsp://cam.local/live", FilePace.Fast)]
    [TestCase("/footage/gate.mp4", FilePace.Realtime)]
    public void Validate_WaitWhenQueueFullOnLiveOrRealtime_RejectedNamingKey(string url, FilePace pace)
    {
        var options = Valid();
        options.Url = url;
        options.FilePace = pace;
        options.WhenQueueFull = QueueFullMode.Wait;
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(error.Message, Does.Contain("WhenQueueFull 'Wait'").And.Contain("lobby"));
    }

    [Test]
    public void Validate_WaitWhenQueueFullOnFastFile_Passes()
    {
        var options = Valid();
        options.Url = "/footage/gate.mp4";
        options.FilePace = FilePace.Fast;
        options.WhenQueueFull = QueueFullMode.Wait;
        Assert.DoesNotThrow(options.Validate);
    }

    [Test]
    public void Validate_HttpUrlWithPassword_RejectedWithPasswordMasked()
    {
        var options = Valid();
        options.Url = "http://admin:s3cret@cam.local/live";
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(error.Message, Does.Contain("only rtsp://").And.Contain("admin:***@").And.Not.Contain("s3cret"));
    }

    [Test]
    public void Validate_BadFps_NamesKeyAndValue()
    {
        var options = Valid();
        options.Fps = 0;
        Assert.That(Assert.Throws<ArgumentException>(options.Validate).Message, Does.Contain("Fps 0"));
    }

    [Test]
    public void Validate_EmptyId_Rejected()
    {
        var options = Valid();
        options.Id = "";
        Assert.That(Assert.Throws<ArgumentException>(options.Validate).Message, Does.Contain("Id ''"));
    }

    [Test]
    public void Bind_CamerasSection_ReadmeKeysBindAndValidate()
    {
        const string json = """
            { "Cameras": [
              { "Id": "lobby", "Url": "rtsp://viewer:secret@10.0.0.5:554/stream1", "Transport": "udp", "Width": 320, "Height": 180, "Fps": 10,
                "ReconnectMaxDelay": "00:00:05", "QueueCapacity": 4 },
              { "Id": "archive", "Url": "/footage/gate.mp4", "FilePace": "fast", "Loop": true, "StartTime": "2026-03-14T09:26:53Z" } ] }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var cameras = configuration.GetSection("Cameras").Get<List<CameraOptions>>()!;
        Assert.Multiple(() =>
        {
            Assert.That(cameras, Has.Count.EqualTo(2));
            Assert.That(cameras[0].Transport, Is.EqualTo(RtspTransport.Udp));
            Assert.That((cameras[0].Width, cameras[0].Height, cameras[0].Fps, cameras[0].QueueCapacity), Is.EqualTo((320, 180, 10.0, 4)));
            Assert.That(cameras[0].ReconnectMaxDelay, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(cameras[0].IsLive, Is.True);
            Assert.That(cameras[1].FilePace, Is.EqualTo(FilePace.Fast));
            Assert.That(cameras[1].Loop, Is.True);
            Assert.That(cameras[1].StartTime, Is.EqualTo(new DateTimeOffset(2026, 3, 14, 9, 26, 53, TimeSpan.Zero)));
            Assert.That(cameras[1].IsLive, Is.False);
            Assert.That(() => cameras.ForEach(c => c.Validate()), Throws.Nothing);
        });
    }
}
