using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ReId.Ingest.Tests;

public sealed class CameraOptionsTests
{
    private static CameraOptions Valid() => new() { Id = "lobby", Url = "rtsp://cam.local/live" };

    [Test]
    public void Validate_Defaults_Pass() => Assert.DoesNotThrow(Valid().Validate);

    [TestCase(nameof(CameraOptions.Width), 641, "Camera[lobby]:Width has the bad value '641'")]
    [TestCase(nameof(CameraOptions.Height), 0, "Camera[lobby]:Height has the bad value '0'")]
    [TestCase(nameof(CameraOptions.QueueCapacity), 0, "Camera[lobby]:QueueCapacity has the bad value '0'")]
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
        options.Pace = pace;
        options.WhenQueueFull = QueueFullMode.Wait;
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(error.Message, Does.Contain("Camera[lobby]:WhenQueueFull has the bad value 'Wait'"));
    }

    [Test]
    public void Validate_WaitWhenQueueFullOnFastFile_Passes()
    {
        var options = Valid();
        options.Url = "/footage/gate.mp4";
        options.Pace = FilePace.Fast;
        options.WhenQueueFull = QueueFullMode.Wait;
        Assert.DoesNotThrow(options.Validate);
    }

    [TestCase("/footage/gate.mp4", FilePace.Fast, QueueFullMode.Wait)]
    [TestCase("/footage/gate.mp4", FilePace.Realtime, QueueFullMode.DropOldest)]
    [TestCase("rtsp://cam.local/live", FilePace.Fast, QueueFullMode.DropOldest)]
    public void QueueFullBehaviour_NotSet_OnlyAFastFileWaits(string url, FilePace pace, QueueFullMode expected)
    {
        var options = Valid();
        options.Url = url;
        options.Pace = pace;
        Assert.That(options.QueueFullBehaviour, Is.EqualTo(expected));
    }

    [TestCase("rtsp://admin:pa#ss@10.0.0.5/live", "'#' must be written %23")]
    [TestCase("rtsp://admin:pa ss@10.0.0.5/live", "'space' must be written %20")]
    [TestCase("rtsp://admin:pa?ss@10.0.0.5/live", "'?' must be written %3F")]
    [TestCase("rtsp://admin:100%@10.0.0.5/live", "'%' must be written %25")]
    [TestCase("rtsp://admin:p@ss@10.0.0.5/live", "'@' must be written %40")]
    public void Validate_UnencodedCharacterInPassword_RefusedSayingHowToEncodeIt(string url, string expected)
    {
        var options = Valid();
        options.Url = url;

        var error = Assert.Throws<ArgumentException>(options.Validate)!;

        Assert.That(error.Message, Does.Contain("Camera[lobby]:Url").And.Contain("percent-encoded").And.Contain(expected));
        Assert.That(error.Message, Does.Contain("rtsp://***@10.0.0.5/live").And.Not.Contain("admin"), "no part of the user or password is shown");
    }

    [TestCase("rtsp://admin:pa%23ss%20x@10.0.0.5/live")]
    [TestCase("rtsp://admin:a-b_c.d~!$&'()*+,;=@10.0.0.5:554/live")]
    public void Validate_PercentEncodedPassword_Accepted(string url)
    {
        var options = Valid();
        options.Url = url;

        Assert.DoesNotThrow(options.Validate);
    }

    [TestCase("ftp://cam.local/video.mp4", "'ftp'")]
    [TestCase("file:///footage/a.mp4", "'file'")]
    public void Validate_OtherScheme_RefusedAsUnsupported(string url, string scheme)
    {
        var options = Valid();
        options.Url = url;

        var error = Assert.Throws<ArgumentException>(options.Validate)!;

        Assert.That(error.Message, Does.Contain($"the scheme {scheme} is unsupported"));
    }

    [Test]
    public void Validate_HttpUrlWithPassword_RejectedWithPasswordMasked()
    {
        var options = Valid();
        options.Url = "http://admin:s3cret@cam.local/live";
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(error.Message, Does.Contain("Camera[lobby]:Url").And.Contain("no other URL").And.Contain("admin:***@").And.Not.Contain("s3cret"));
    }

    [Test]
    public void Validate_BadFps_NamesKeyAndValue()
    {
        var options = Valid();
        options.Fps = 0;
        Assert.That(Assert.Throws<ArgumentException>(options.Validate).Message, Does.Contain("Camera[lobby]:Fps has the bad value '0'"));
    }

    [Test]
    public void Validate_EmptyId_Rejected()
    {
        var options = Valid();
        options.Id = "";
        Assert.That(Assert.Throws<ArgumentException>(options.Validate).Message, Does.Contain("Camera[]:Id has the bad value ''"));
    }

    [Test]
    public void Bind_CamerasSection_ReadmeKeysBindAndValidate()
    {
        const string json = """
            { "Cameras": [
              { "Id": "lobby", "Url": "rtsp://viewer:secret@10.0.0.5:554/stream1", "Transport": "udp", "Width": 320, "Height": 180, "Fps": 10,
                "ReconnectMaxDelay": "00:00:05", "QueueCapacity": 4 },
              { "Id": "archive", "Url": "/footage/gate.mp4", "Pace": "fast", "Loop": true, "StartTime": "2026-03-14T09:26:53Z" } ] }
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
            Assert.That(cameras[1].Pace, Is.EqualTo(FilePace.Fast));
            Assert.That(cameras[1].Loop, Is.True);
            Assert.That(cameras[1].StartTime, Is.EqualTo(new DateTimeOffset(2026, 3, 14, 9, 26, 53, TimeSpan.Zero)));
            Assert.That(cameras[1].IsLive, Is.False);
            Assert.That(() => cameras.ForEach(c => c.Validate()), Throws.Nothing);
        });
    }

    private static IOptions<IngestOptions> Bound(string json)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddIngest(configuration);
        return services.BuildServiceProvider().GetRequiredService<IOptions<IngestOptions>>();
    }

    [Test]
    public void AddIngest_CamerasList_BindsEveryCamera()
    {
        var options = Bound("""{ "Cameras": [ { "Id": "a", "Url": "rtsp://cam/a" }, { "Id": "b", "Url": "rtsp://cam/b", "Transport": "udp" } ] }""").Value;

        Assert.That(options.Cameras.Select(c => (c.Id, c.Transport)), Is.EqualTo(new[] { ("a", RtspTransport.Tcp), ("b", RtspTransport.Udp) }));
    }

    [Test]
    public void AddIngest_DuplicateIdsAndMissingFile_EveryErrorNamesItsListKey()
    {
        var options = Bound("""{ "Cameras": [ { "Id": "a", "Url": "rtsp://cam/a" }, { "Id": "a", "Url": "/nonexistent/gate.mp4", "Fps": 0 } ] }""");

        var e = Assert.Throws<OptionsValidationException>(() => _ = options.Value);

        Assert.That(e!.Failures, Has.Some.Contains("Cameras:1:Id has the bad value 'a'"));
        Assert.That(e.Failures, Has.Some.Contains("Cameras:1:Url has the bad value '/nonexistent/gate.mp4'"));
        Assert.That(e.Failures, Has.Some.Contains("Cameras:1:Fps has the bad value '0'"));
    }

    [Test]
    public void AddIngest_UnknownKey_IsAnError()
    {
        var options = Bound("""{ "Cameras": [ { "Id": "a", "Url": "rtsp://cam/a", "Fpz": 3 } ] }""");

        var e = Assert.Throws<InvalidOperationException>(() => _ = options.Value);

        Assert.That(e!.ToString(), Does.Contain("'Fpz'"));
    }
}
