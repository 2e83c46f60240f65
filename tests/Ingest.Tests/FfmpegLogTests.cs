namespace ReId.Ingest.Tests;

/// <summary>ffmpeg 5.1's stderr as recorded on Debian 12 (Recorded/*.txt).</summary>
public sealed class FfmpegLogTests
{
    private static FfmpegLog Recorded(string name) =>
        FfmpegLog.Parse(File.ReadLines(Path.Combine(TestContext.CurrentContext.TestDirectory, "Recorded", name)));

    [Test]
    public void Parse_ConnectionRefused_ClearMessageWithoutPassword()
    {
        var log = Recorded("rtsp-connection-refused.txt");
        var message = log.Describe(exitCode: 1, frames: 0, live: true);
        Assert.Multiple(() =>
        {
            Assert.That(log.Problem, Is.EqualTo(FfmpegProblem.ConnectionRefused));
            Assert.That(message, Does.StartWith("connection refused"));
            Assert.That(message, Does.Not.Contain("s3cret"));
        });
    }

    [Test]
    public void Parse_WrongPath_NotFound()
    {
        var log = Recorded("rtsp-404.txt");
        Assert.Multiple(() =>
        {
            Assert.That(log.Problem, Is.EqualTo(FfmpegProblem.NotFound));
            Assert.That(log.Describe(1, 0, live: true), Does.Contain("404 Not Found"));
        });
    }

    [Test]
    public void Parse_UnknownHost_HostNotFound()
    {
        var log = Recorded("rtsp-unknown-host.txt");
        Assert.That(log.Describe(1, 0, live: true), Does.StartWith("host name not found").And.Contain("no-such-host.invalid"));
    }

    [Test]
    public void Parse_NotAVideo_InvalidData()
    {
        var log = Recorded("file-not-a-video.txt");
        Assert.Multiple(() =>
        {
            Assert.That(log.Problem, Is.EqualTo(FfmpegProblem.NotAVideo));
            Assert.That(log.Describe(1, 0, live: false), Does.StartWith("not a video").And.Contain("Invalid data found when processing input"));
        });
    }

    [Test]
    public void Parse_MissingFile_NoSuchFile()
    {
        var log = Recorded("file-missing.txt");
        Assert.That(log.Describe(1, 0, live: false), Does.StartWith("no such file"));
    }

    [TestCase("file-truncated-moov.txt", 1, 0)]
    [TestCase("file-truncated-partial.txt", 0, 80)]
    [TestCase("file-truncated-avi.txt", 0, 92)]
    public void Parse_TruncatedVideo_Truncated(string name, int exitCode, int frames)
    {
        var log = Recorded(name);
        Assert.Multiple(() =>
        {
            Assert.That(log.Problem, Is.EqualTo(FfmpegProblem.Truncated));
            Assert.That(log.Describe(exitCode, frames, live: false), Does.StartWith("the video is truncated or damaged"));
        });
    }

    [Test]
    public void Parse_Streaming_InputSizeAndRateNoProblem()
    {
        var log = Recorded("rtsp-pattern-streaming.txt");
        Assert.Multiple(() =>
        {
            Assert.That(log.InputVideo, Is.EqualTo(new SourceVideo("h264", 640, 360, 25)));
            Assert.That(log.Problem, Is.EqualTo(FfmpegProblem.None));
            // A file that played through is not an error; a live stream that ends is.
            Assert.That(log.Describe(0, 75, live: false), Is.Null);
            Assert.That(log.Describe(0, 75, live: true), Is.EqualTo("the stream ended"));
        });
    }

    [Test]
    public void ParseVideoStream_SampleAvi_SizeAndRate()
    {
        var stream = FfmpegLog.ParseVideoStream("  Stream #0:0: Video: msmpeg4v3 (div3 / 0x33766964), yuv420p, 768x576, 816 kb/s, 10 fps, 10 tbr, 10 tbn");
        Assert.That(stream, Is.EqualTo(new SourceVideo("msmpeg4v3", 768, 576, 10)));
    }
}
