namespace ReId.Ingest.Tests;

public sealed class CameraUrlTests
{
    [TestCase("rtsp://admin:s3cret@10.0.0.5:554/stream1", "rtsp://admin:***@10.0.0.5:554/stream1")]
    [TestCase("rtsp://admin:p@ss/w0rd@cam.local/live", "rtsp://admin:***@cam.local/live")]
    [TestCase("rtsp://admin@cam.local/live", "rtsp://admin@cam.local/live")]
    [TestCase("rtsp://cam.local:8554/live?user=a", "rtsp://cam.local:8554/live?user=a")]
    [TestCase("/videos/lobby.mp4", "/videos/lobby.mp4")]
    public void Mask_Url_HidesOnlyThePassword(string url, string expected) =>
        Assert.That(CameraUrl.Mask(url), Is.EqualTo(expected));

    [Test]
    public void MaskAll_FfmpegMessageWithUrl_HidesPassword()
    {
        var masked = CameraUrl.MaskAll("rtsp://admin:s3cret@127.0.0.1:1/x: Connection refused");
        Assert.That(masked, Is.EqualTo("rtsp://admin:***@127.0.0.1:1/x: Connection refused"));
    }
}
