namespace ReId.Tracking.Tests;

public class DetectionTrackingTests
{
    /// <summary>Three people walking apart across 60 frames; person 2's detection is absent in frames 30-34.</summary>
    private static List<MotRecord> Walkers(bool withGap)
    {
        var records = new List<MotRecord>();
        for (int f = 1; f <= 60; f++)
        {
            for (int p = 1; p <= 3; p++)
            {
                if (withGap && p == 2 && f is >= 30 and <= 34)
                {
                    continue;
                }

                records.Add(new MotRecord(f, p, new Box(40 + (p * 150) + (2 * f), 100 + (p * 10), 50, 120), 0.9f));
            }
        }

        return records;
    }

    [Test]
    public void Run_DetectionsOfWalkers_OneTrackEachNoSwitch()
    {
        var truth = Walkers(withGap: false);
        var detections = Walkers(withGap: true).Select(r => r with { Id = -1 }).ToList();

        var result = DetectionTracking.Run(detections, TrackerRegistry.Create("seq", new TrackerOptions()), fps: 25);
        var m = MotEvaluator.Evaluate(truth, result.Tracks);

        Assert.Multiple(() =>
        {
            Assert.That(result.Frames, Is.EqualTo(60));
            Assert.That(result.Detections, Is.EqualTo(detections.Count));
            Assert.That(m.HypothesisIds, Is.EqualTo(3), "the 5-frame gap (0.2 s) is inside the lost-track buffer");
            Assert.That(m.IdSwitches, Is.Zero);
            Assert.That(m.Misses, Is.EqualTo(5), "the gap's frames are not reported while the track is lost");
            Assert.That(m.FalsePositives, Is.Zero);
            Assert.That(m.Hota.AssA, Is.GreaterThan(0.97));
        });
    }

    [Test]
    public void Run_GapLongerThanTheBuffer_StartsANewTrack()
    {
        // At 2 fps the 5-frame gap lasts 2.5 s, past the 1.5 s lost-track buffer: person 2 comes back as a new track.
        var detections = Walkers(withGap: true).Select(r => r with { Id = -1 }).ToList();

        var result = DetectionTracking.Run(detections, TrackerRegistry.Create("seq", new TrackerOptions()), fps: 2, frames: 70);
        var m = MotEvaluator.Evaluate(Walkers(withGap: false), result.Tracks);

        Assert.That(result.Frames, Is.EqualTo(70), "the sequence's length, past the last detection");
        Assert.That(m.HypothesisIds, Is.EqualTo(4));
        Assert.That(m.IdSwitches, Is.EqualTo(1));
    }

    [Test]
    public void Run_TudStadtmittePublicDetections_ScoresAndWritesWhatItScores()
    {
        string gtPath = SharedData.RequireFile("REID_MOT15_TUD_STADTMITTE_GT", "data/mot15-tud-stadtmitte/gt.txt");
        string detPath = Path.Combine(Path.GetDirectoryName(gtPath)!, "det.txt");
        if (!File.Exists(detPath))
        {
            Assert.Ignore($"{detPath} is absent; this test needs the public detections beside gt.txt.");
        }

        var truth = MotFile.Read(gtPath);
        var result = DetectionTracking.Run(MotFile.Read(detPath), TrackerRegistry.Create("TUD-Stadtmitte", new TrackerOptions()), 25, 179);
        var m = MotEvaluator.Evaluate(truth, result.Tracks);
        var written = new StringWriter();
        MotFile.Write(written, result.Tracks);
        var again = MotEvaluator.Evaluate(truth, MotFile.Parse(new StringReader(written.ToString())));

        Assert.Multiple(() =>
        {
            Assert.That(result.Frames, Is.EqualTo(179));
            Assert.That(result.Detections, Is.EqualTo(951));

            // Floors a tracker that follows these people must clear (the defaults measure MOTA 0.700, IDF1 0.711, HOTA 0.515).
            Assert.That(m.Mota, Is.GreaterThan(0.6), m.ToString());
            Assert.That(m.Idf1, Is.GreaterThan(0.6), m.ToString());
            Assert.That(m.Hota.Hota, Is.GreaterThan(0.45), m.ToString());
            Assert.That(again.Hota.Hota, Is.EqualTo(m.Hota.Hota).Within(1e-5), "the MOT file other tools read scores the same");
            Assert.That((again.Mota, again.Idf1), Is.EqualTo((m.Mota, m.Idf1)));
        });
    }

    [Test]
    public void Read_SequenceFolder_TakesSeqinfoAndFindsItsFiles()
    {
        string folder = Path.Combine(Path.GetTempPath(), "reid-seq-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "det"));
            Directory.CreateDirectory(Path.Combine(folder, "frames"));
            File.WriteAllText(Path.Combine(folder, "det", "det.txt"), "1,-1,0,0,10,20,0.9\n");
            File.WriteAllText(Path.Combine(folder, "seqinfo.ini"),
                "[Sequence]\nname=PETS09-S2L1\nimDir=frames\nframeRate=7\nseqLength=795\nimWidth=768\nimHeight=576\nimExt=.png\n");

            var s = MotSequenceFolder.Read(folder);

            Assert.Multiple(() =>
            {
                Assert.That((s.Name, s.FrameRate, s.Length), Is.EqualTo(("PETS09-S2L1", (double?)7, (int?)795)));
                Assert.That(s.Detections, Is.EqualTo(Path.Combine(folder, "det", "det.txt")));
                Assert.That(s.GroundTruth, Is.Null);
                Assert.That(s.FramePattern, Is.EqualTo(Path.Combine(folder, "frames", "%06d.png")));
            });

            File.WriteAllText(Path.Combine(folder, "seqinfo.ini"), "[Sequence]\nframeRate=fast\n");
            var e = Assert.Throws<FormatException>(() => MotSequenceFolder.Read(folder));
            Assert.That(e!.Message, Does.Contain("framerate=fast"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void Read_FolderWithoutSeqinfo_IsNamedAfterTheFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "reid-seq-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var s = MotSequenceFolder.Read(folder);
            Assert.That((s.Name, s.FrameRate, s.Detections, s.FramePattern), Is.EqualTo((Path.GetFileName(folder), (double?)null, (string?)null, (string?)null)));
        }
        finally
        {
            Directory.Delete(folder);
        }
    }
}
