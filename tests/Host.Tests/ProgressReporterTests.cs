namespace ReId.Host.Tests;

/// <summary>The status line of the long commands: what it says, plain lines when redirected, one line rewritten live.</summary>
public sealed class ProgressReporterTests
{
    [Test]
    public void Format_DoneOfTotal_GivesShareRateAndTimeLeft()
    {
        var line = ProgressReporter.Format("reid demo", new ProgressStatus(500, 1590, "frames", "3 tracklets, 2 sightings"), TimeSpan.FromSeconds(10));

        // 50 frames/s: the 1,090 frames left take 21.8 s
        Assert.That(line, Is.EqualTo("reid demo 00:10 | 500/1590 frames (31%) | 50.0 frames/s | 00:21 left | 3 tracklets, 2 sightings"));
    }

    [Test]
    public void Format_TotalUnknown_NoShareNoTimeLeft()
    {
        var line = ProgressReporter.Format("reid process", new ProgressStatus(300, null, "frames"), TimeSpan.FromSeconds(60));

        Assert.That(line, Is.EqualTo("reid process 01:00 | 300 frames | 5.0 frames/s"));
    }

    [Test]
    public void Format_LeftGiven_TakesItOverTheRate()
    {
        var line = ProgressReporter.Format("training", new ProgressStatus(1, 6, "epochs", null, TimeSpan.FromMinutes(75)), TimeSpan.FromMinutes(15));

        Assert.That(line, Does.EndWith("| 1:15:00 left"));
    }

    [Test]
    public async Task Redirected_WritesPlainLinesWhileTheWorkRuns()
    {
        using var output = new StringWriter();
        long frames = 0;
        using (new ProgressReporter("bench", () => new ProgressStatus(Interlocked.Read(ref frames), 100, "frames"), output, live: false,
                   interval: TimeSpan.FromMilliseconds(40)))
        {
            for (var i = 0; i < 10; i++)
            {
                Interlocked.Add(ref frames, 10);
                await Task.Delay(30);
            }
        }

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.GreaterThanOrEqualTo(3), "a line every interval");
        Assert.That(lines, Has.All.StartWith("bench ").And.Contains("/100 frames"));
        Assert.That(output.ToString(), Does.Not.Contain("\r"), "no terminal control in logs");
    }

    [Test]
    public async Task Live_RewritesOneLineThenEndsIt()
    {
        using var output = new StringWriter();
        using (var progress = new ProgressReporter("eval-tracking", "frames", output, live: true, interval: TimeSpan.FromMilliseconds(20)))
        {
            progress.Report(new ProgressStatus(7, 10, "frames", "4 detections"));
            await Task.Delay(100);
        }

        var text = output.ToString();
        Assert.That(text, Does.StartWith("\reval-tracking "));
        Assert.That(text, Does.Contain("7/10 frames (70%)").And.Contain("4 detections"));
        Assert.That(text.TrimEnd('\r', '\n'), Does.Not.Contain("\n"), "one line, rewritten in place");
        Assert.That(text, Does.EndWith(Environment.NewLine), "the last status is kept and what follows starts on its own line");
    }
}
