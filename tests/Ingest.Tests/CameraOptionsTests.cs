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
}
