using System.Globalization;
using OpenCvSharp;
using ReId.Detection;

namespace ReId.Tracking.Tests;

/// <summary>Detection and tracking on composited scenes with known truth (real people on a real background).</summary>
[NonParallelizable]
public class SceneTests
{
    private IPersonDetector _detector = null!;

    [OneTimeSetUp]
    public void LoadDetector()
    {
        string model = SharedData.YoloxModel;
        _detector = DetectorRegistry.Create(new DetectorOptions { Detector = "yolox", ModelPath = model });
    }

    [OneTimeTearDown]
    public void DisposeDetector() => _detector?.Dispose();

    // CUHK03 "detected" crops are themselves detector output and some are cut-off or misaligned people; the ids
    // below show a whole person. (Over the first 24 ids at 180 px, YOLOX-nano scores 20 at 0.5 or more.)

    /// <summary>Six people apart from each other, 140-220 px tall, walking slowly.</summary>
    internal static Scene SpreadScene()
    {
        var scene = Scene.Create(30);
        int[] people = [0, 3, 7, 10, 12, 17];
        int[] heights = [140, 200, 160, 220, 150, 180];
        for (int i = 0; i < people.Length; i++)
        {
            float x = 70 + (i * 125);
            float y = 260 + (i % 3 * 140);
            scene.Add(people[i], heights[i], 0, 29, new Point2f(x, y), new Point2f(x + 20, y + (i % 2 == 0 ? 30 : -30)));
        }

        return scene;
    }

    /// <summary>Two pairs crossing (the nearer hiding the farther), one person entering, one leaving.</summary>
    internal static Scene CrossingScene()
    {
        return Scene.Create(80)
            .Add(11, 180, 0, 79, new Point2f(100, 430), new Point2f(660, 430))
            .Add(16, 190, 0, 79, new Point2f(660, 460), new Point2f(100, 460))
            .Add(19, 150, 10, 70, new Point2f(-40, 260), new Point2f(420, 260))
            .Add(20, 160, 0, 60, new Point2f(480, 330), new Point2f(810, 330))
            .Add(13, 155, 5, 75, new Point2f(620, 285), new Point2f(80, 285));
    }

    [Test]
    public void Detect_UnoccludedPeople_RecallAtIou05AtLeast090()
    {
        using var scene = SpreadScene();
        int truthCount = 0, found = 0, detections = 0;
        for (int f = 0; f < scene.Frames; f++)
        {
            var image = new BgrImage(scene.Render(f), Scene.Width, Scene.Height);
            var people = _detector.Detect([image])[0].Where(d => d.Score >= 0.5f).ToList();
            detections += people.Count;
            var truth = scene.Truth(f).Where(t => t.Visible >= 0.99f).ToList();
            truthCount += truth.Count;
            var used = new bool[people.Count];
            foreach (var t in truth)
            {
                int best = -1;
                for (int k = 0; k < people.Count; k++)
                {
                    if (!used[k] && people[k].Box.Iou(t.Box) >= 0.5f && (best < 0 || people[k].Box.Iou(t.Box) > people[best].Box.Iou(t.Box)))
                    {
                        best = k;
                    }
                }

                if (best >= 0)
                {
                    used[best] = true;
                    found++;
                }
            }
        }

        double recall = (double)found / truthCount;
        double precision = detections == 0 ? 0 : (double)found / detections;
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scene detection: recall {recall:0.000} ({found}/{truthCount} unoccluded people, IoU >= 0.5, score >= 0.5), precision {precision:0.000}"));
        Assert.That(truthCount, Is.EqualTo(6 * 30), "every person of the spread scene is unoccluded");
        Assert.That(recall, Is.GreaterThanOrEqualTo(0.9));
    }

    [Test]
    public void Track_CrossingsEntriesAndExits_Idf1AtLeast085AndIdsNeverReused()
    {
        using var scene = CrossingScene();
        var tracker = TrackerRegistry.Create("cam-1", new TrackerOptions());
        var hypotheses = new List<MotRecord>();
        var tracklets = new List<Tracklet>();
        for (int f = 0; f < scene.Frames; f++)
        {
            var image = new BgrImage(scene.Render(f), Scene.Width, Scene.Height);
            var update = tracker.Update(image, Scene.TimeOf(f), _detector.Detect([image])[0]);
            hypotheses.AddRange(update.Tracks.Select(t => new MotRecord(f + 1, t.TrackId, t.Box)));
            tracklets.AddRange(update.Tracklets.Where(t => t.IsFinal));
        }

        tracklets.AddRange(tracker.Flush());
        var metrics = MotEvaluator.Evaluate(scene.GroundTruth(), hypotheses);
        TestContext.Out.WriteLine($"crossing scene: {metrics}; final tracklets {tracklets.Count}");

        // a stitched track's earlier fragment comes inside its tracklet (Tracklet.Previous)
        var finalIds = tracklets.SelectMany(t => t.Fragments()).Select(t => t.TrackId).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Idf1, Is.GreaterThanOrEqualTo(0.85));
            Assert.That(finalIds, Is.Unique, "one final tracklet per track id: no id is given twice");
            Assert.That(hypotheses.Select(h => h.Id).Distinct(), Is.SubsetOf(finalIds), "every reported track ended in a tracklet");
            Assert.That(tracklets.All(t => t.Samples.Count is > 0 and <= 8 && t.Samples.All(s => s.Crop.Bgr.Length == PersonCrop.Bytes && s.Crop.Width == PersonCrop.Width)), Is.True);
            Assert.That(tracklets.All(t => t.ThumbnailJpeg is [0xFF, 0xD8, ..]), Is.True, "thumbnails are JPEG");
        });
    }

    [Test]
    public void RunVideo_CrossingSceneAsFile_ScoresAgainstItsGroundTruthFile()
    {
        using var scene = CrossingScene();
        string folder = Environment.GetEnvironmentVariable("REID_SCENE_OUT") is { Length: > 0 } keep
            ? Directory.CreateDirectory(keep).FullName
            : TestContext.CurrentContext.WorkDirectory;
        string video = Path.Combine(folder, "crossing-scene.avi");
        string gtFile = Path.Combine(folder, "crossing-scene-gt.txt");
        using (var writer = new VideoWriter(video, FourCC.MJPG, Scene.Fps, new Size(Scene.Width, Scene.Height)))
        {
            Assert.That(writer.IsOpened(), Is.True, "MJPG writer");
            for (int f = 0; f < scene.Frames; f++)
            {
                var pixels = scene.Render(f);
                using var mat = Mat.FromPixelData(Scene.Height, Scene.Width, MatType.CV_8UC3, pixels);
                writer.Write(mat);
            }
        }

        MotFile.Write(gtFile, scene.GroundTruth());

        var result = VideoTracking.Run(video, _detector, TrackerRegistry.Create("file", new TrackerOptions()));
        var metrics = MotEvaluator.Evaluate(MotFile.Read(gtFile), result.Tracks);

        TestContext.Out.WriteLine($"crossing scene through a file: {metrics}");
        Assert.That(result.Frames, Is.EqualTo(scene.Frames));
        Assert.That(metrics.Idf1, Is.GreaterThanOrEqualTo(0.8));
    }

    [Test]
    public void RunVideo_CrossingSceneAsSequenceFolder_ReadsItsNumberedFrames()
    {
        using var scene = CrossingScene();
        string folder = Path.Combine(TestContext.CurrentContext.WorkDirectory, "crossing-seq-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(folder, "img1"));
        try
        {
            File.WriteAllText(Path.Combine(folder, "seqinfo.ini"),
                string.Create(CultureInfo.InvariantCulture, $"[Sequence]\nname=crossing\nimDir=img1\nframeRate={Scene.Fps}\nseqLength={scene.Frames}\nimExt=.jpg\n"));
            for (int f = 0; f < scene.Frames; f++)
            {
                using var mat = Mat.FromPixelData(Scene.Height, Scene.Width, MatType.CV_8UC3, scene.Render(f));
                Cv2.ImWrite(Path.Combine(folder, "img1", $"{f + 1:000000}.jpg"), mat);
            }

            var sequence = MotSequenceFolder.Read(folder);
            var result = VideoTracking.Run(sequence.FramePattern!, _detector, TrackerRegistry.Create("seq", new TrackerOptions()),
                sequence.Length!.Value, sequence.FrameRate);
            var metrics = MotEvaluator.Evaluate(scene.GroundTruth(), result.Tracks);

            TestContext.Out.WriteLine($"crossing scene as a sequence folder: {metrics}");
            Assert.That(result.Frames, Is.EqualTo(scene.Frames));
            Assert.That(metrics.Idf1, Is.GreaterThanOrEqualTo(0.8));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
