namespace ReId.Ingest.Tests;

public sealed class FfmpegArgumentsTests
{
    [Test]
    public void Decode_RtspDefault_UsesTcpAndConfiguredSizeAndRate()
    {
        var args = FfmpegArguments.Decode(new CameraOptions { Id = "a", Url = "rtsp://cam/live", Width = 320, Height = 180, Fps = 12.5 });
        Assert.That(string.Join(' ', args), Does.Contain("-rtsp_transport tcp")
            .And.Contain("-i rtsp://cam/live")
            .And.Contain("-s 320x180").And.Contain("-r 12.5").And.Contain("-pix_fmt bgr24")
            .And.EndWith("-f rawvideo pipe:1")
            .And.Not.Contain("-re"));
    }

    [Test]
    public void Decode_RtspUdp_UsesUdp()
    {
        var args = FfmpegArguments.Decode(new CameraOptions { Id = "a", Url = "rtsp://cam/live", Transport = RtspTransport.Udp });
        Assert.That(string.Join(' ', args), Does.Contain("-rtsp_transport udp"));
    }

    [Test]
    public void Decode_FileRealtime_ReadsAtNativeRate()
    {
        var args = FfmpegArguments.Decode(new CameraOptions { Id = "a", Url = "/v/a b.mp4", Pace = FilePace.Realtime });
        Assert.Multiple(() =>
        {
            Assert.That(args, Does.Contain("-re"));
            // The path is one argument, spaces and all: no shell is involved.
            Assert.That(args, Does.Contain("/v/a b.mp4"));
            Assert.That(args, Does.Not.Contain("-rtsp_transport"));
        });
    }

    [Test]
    public void Decode_FileFastLooping_NoRateLimitAndLoops()
    {
        var args = FfmpegArguments.Decode(new CameraOptions { Id = "a", Url = "/v/a.mp4", Pace = FilePace.Fast, Loop = true });
        Assert.That(string.Join(' ', args), Does.Not.Contain("-re ").And.Contain("-stream_loop -1"));
    }

    [Test]
    public void DecodeToNull_SameDecoding_NullSinkWithProgress()
    {
        var options = new CameraOptions { Id = "a", Url = "/v/a.mp4", Pace = FilePace.Fast };
        var raw = string.Join(' ', FfmpegArguments.DecodeToNull(options));
        Assert.That(raw, Does.Contain("-s 640x360 -r 25 -pix_fmt bgr24 -c:v rawvideo -f null").And.Contain("-progress pipe:1"));
    }
}
