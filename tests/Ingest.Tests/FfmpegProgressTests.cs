namespace ReId.Ingest.Tests;

public sealed class FfmpegProgressTests
{
    [Test]
    public void Add_RecordedNullSinkProgress_FramesPerReportAndEnd()
    {
        var progress = new FfmpegProgress();
        var reports = new List<long>();
        foreach (var line in File.ReadLines(Path.Combine(TestContext.CurrentContext.TestDirectory, "Recorded", "progress-null-sink.txt")))
        {
            if (progress.Add(line))
            {
                reports.Add(progress.Frames);
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(reports, Is.EqualTo(new long[] { 1, 8, 795 }));
            Assert.That(progress.Ended, Is.True);
        });
    }

    [Test]
    public void Add_BlockWithoutEnd_NotEnded()
    {
        var progress = new FfmpegProgress();
        Assert.Multiple(() =>
        {
            Assert.That(progress.Add("frame=12"), Is.False);
            Assert.That(progress.Add("progress=continue"), Is.True);
            Assert.That(progress.Frames, Is.EqualTo(12));
            Assert.That(progress.Ended, Is.False);
        });
    }

    [Test]
    public void Parse_RecordedProbe_SourceSizeAndRate()
    {
        var log = FfmpegLog.Parse(File.ReadLines(Path.Combine(TestContext.CurrentContext.TestDirectory, "Recorded", "probe-sample.txt")));
        Assert.That(log.InputVideo, Is.EqualTo(new SourceVideo("msmpeg4v3", 768, 576, 10)));
    }
}
