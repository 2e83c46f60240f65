namespace ReId.Tracking.Tests;

/// <summary>Fragment stitching: a track broken by a gap is given as one tracklet with its earlier fragment.</summary>
public class StitchingTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    private static DateTimeOffset At(int frame) => T0 + TimeSpan.FromMilliseconds(100 * frame);

    private static PersonDetection P(float x, float y = 80) => new(new Box(x, y, 40, 100), 0.9f);

    private static BgrImage Frame()
    {
        var pixels = new byte[640 * 480 * 3];
        new Random(5).NextBytes(pixels);
        return new BgrImage(pixels, 640, 480);
    }

    /// <summary>
    /// One person walking right at 6 px a frame (10 fps), hidden for frames 20-24, seen again from frame 25 at
    /// <paramref name="jump"/> px beyond where the motion puts them (too far for the tracks' IoU: a new track starts),
    /// walking on until frame <paramref name="until"/>; every final tracklet of the run, the flush's too.
    /// </summary>
    private static List<Tracklet> Run(TrackerOptions options, float jump, int until = 50)
    {
        var tracker = TrackerRegistry.Create("c", options);
        var frame = Frame();
        var final = new List<Tracklet>();
        for (int f = 0; f < until + 30; f++)
        {
            List<PersonDetection> people = f < 20 ? [P(20 + (6 * f))] : f is >= 25 and < 50 ? [P(20 + (6 * f) + jump)] : [];
            final.AddRange(tracker.Update(frame, At(f), people).Tracklets.Where(t => t.IsFinal));
        }

        final.AddRange(tracker.Flush());
        return final;
    }

    [Test]
    public void Update_TrackBrokenByAGap_GivesOneTrackletWithItsEarlierFragment()
    {
        var final = Run(new TrackerOptions(), jump: 50);

        Assert.That(final, Has.Count.EqualTo(1), "the earlier fragment is held by the track that continues it");
        var later = final[0];
        Assert.That(later.Previous, Is.Not.Null);
        var fragments = later.Fragments();
        Assert.That(fragments.Select(t => t.TrackId), Is.EqualTo(new[] { later.Previous!.TrackId, later.TrackId }));
        Assert.That(fragments[0].TrackId, Is.Not.EqualTo(fragments[1].TrackId));
        Assert.That(fragments[0].LastSeen, Is.EqualTo(At(19)));
        Assert.That(fragments[1].FirstSeen, Is.EqualTo(At(25)));
        Assert.That(fragments.All(t => t.Previous is null && t.Samples.Count > 0), Is.True);
    }

    [Test]
    public void Update_StitchingOff_GivesTwoTracklets()
    {
        var final = Run(new TrackerOptions { StitchFragments = false }, jump: 50);

        Assert.That(final, Has.Count.EqualTo(2));
        Assert.That(final.All(t => t.Previous is null), Is.True);
    }

    [Test]
    public void Update_LaterTrackFarAway_IsNoContinuation()
    {
        // 300 px (3 heights) beyond the predicted position: someone else
        var final = Run(new TrackerOptions(), jump: 300);

        Assert.That(final, Has.Count.EqualTo(2));
        Assert.That(final.All(t => t.Previous is null), Is.True);
    }

    [Test]
    public void Update_ContinuationOutlastsTheHold_EarlierFragmentGivenAlone()
    {
        var final = Run(new TrackerOptions { StitchMaxHold = TimeSpan.FromSeconds(2) }, jump: 50);

        Assert.That(final, Has.Count.EqualTo(2), "held from frame 35, given alone once 2 s past its end (frame 40)");
        Assert.That(final[0].LastSeen, Is.EqualTo(At(19)));
        Assert.That(final.All(t => t.Previous is null), Is.True);
    }

    [Test]
    public void DetectionTracking_StitchedTrack_ReportsTheEarlierFragmentsId()
    {
        var detections = Enumerable.Range(1, 50)
            .Where(f => f is <= 20 or > 25)
            .Select(f => new MotRecord(f, -1, new Box(20 + (6 * f) + (f > 25 ? 50 : 0), 80, 40, 100), 0.9f)).ToList();

        var stitched = DetectionTracking.Run(detections, TrackerRegistry.Create("c", new TrackerOptions()), 10);
        var apart = DetectionTracking.Run(detections, TrackerRegistry.Create("c", new TrackerOptions { StitchFragments = false }), 10);

        Assert.That(apart.Tracks.Select(r => r.Id).Distinct().Count(), Is.EqualTo(2));
        Assert.That(stitched.Tracks.Select(r => r.Id).Distinct().Count(), Is.EqualTo(1));
        Assert.That(stitched.Tracks, Has.Count.EqualTo(apart.Tracks.Count));
    }
}

public class TrackletFragmentsTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    private static Tracklet Fragment(long id, int fromSecond, int toSecond) => new(
        "c", id, T0.AddSeconds(fromSecond), T0.AddSeconds(toSecond),
        [new TrackletSample(T0.AddSeconds(fromSecond), new Box(0, 0, 10, 20), default),
            new TrackletSample(T0.AddSeconds(toSecond), new Box(1, 0, 10, 20), default)],
        [1, 2, 3], new TrackletQuality(10 * (int)id, 1, 0.8f, 100, 0, 20 * id), IsFinal: true);

    private static float[] Unit(params float[] v)
    {
        float n = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / n)];
    }

    [Test]
    public void Fragments_ChainOfThree_OldestFirstWithoutLinks()
    {
        var c = Fragment(3, 20, 30) with { Previous = Fragment(2, 10, 19) with { Previous = Fragment(1, 0, 9) } };

        var parts = c.Fragments();

        Assert.That(parts.Select(t => t.TrackId), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(parts.All(t => t.Previous is null), Is.True);
    }

    [Test]
    public void Join_AgreeingFragments_BecomeOneTrackletWithTheMeanEmbedding()
    {
        var joined = TrackletFragments.Join([(Fragment(1, 0, 9), Unit(1, 0)), (Fragment(2, 10, 19), Unit(0.8f, 0.6f))], 0.6f);

        Assert.That(joined, Has.Count.EqualTo(1));
        var (t, e) = joined[0];
        Assert.That(t.TrackId, Is.EqualTo(1));
        Assert.That(t.FirstSeen, Is.EqualTo(T0));
        Assert.That(t.LastSeen, Is.EqualTo(T0.AddSeconds(19)));
        Assert.That(t.Samples.Select(s => s.Time), Is.Ordered);
        Assert.That(t.Samples, Has.Count.EqualTo(4));
        Assert.That(t.Quality.FramesMatched, Is.EqualTo(30));
        Assert.That(t.Quality.MeanHeight, Is.EqualTo(30).Within(1e-4));
        var expected = Unit(1.8f, 0.6f);
        Assert.That(e[0], Is.EqualTo(expected[0]).Within(1e-5));
        Assert.That(e[1], Is.EqualTo(expected[1]).Within(1e-5));
    }

    [Test]
    public void Join_DisagreeingMiddleFragment_SplitsTheChainThere()
    {
        var joined = TrackletFragments.Join(
            [(Fragment(1, 0, 9), Unit(1, 0)), (Fragment(2, 10, 19), Unit(0, 1)), (Fragment(3, 20, 29), Unit(0.1f, 1))], 0.6f);

        Assert.That(joined.Select(j => j.Tracklet.TrackId), Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(joined[1].Tracklet.LastSeen, Is.EqualTo(T0.AddSeconds(29)));
        Assert.That(joined[0].Tracklet.LastSeen, Is.EqualTo(T0.AddSeconds(9)));
    }
}

public class RecallByHeightTests
{
    [Test]
    public void Measure_SmallPersonMissed_ShowsInItsHeightRange()
    {
        MotRecord Gt(int frame, long id, float h, float confidence = 1) => new(frame, id, new Box(10 * id, 0, h / 2, h), confidence);
        var truth = new[] { Gt(1, 1, 40), Gt(1, 2, 150), Gt(2, 1, 40), Gt(2, 2, 150), Gt(2, 3, 300, confidence: 0) };
        // the tall person is found in both frames (once by two boxes: counted once), the small one in neither
        var found = new[] { Gt(1, 2, 150), Gt(2, 2, 150), Gt(2, 2, 150) with { Box = new Box(21, 0, 75, 150) } };

        var bins = RecallByHeight.Measure(truth, found);

        Assert.That(bins.Select(b => (b.Found, b.Total)), Is.EqualTo(new[] { (0, 2), (0, 0), (2, 2), (0, 0) }), "the ignored 300 px box counts nowhere");
        Assert.That(bins[2].Recall, Is.EqualTo(1));
        Assert.That(double.IsNaN(bins[1].Recall), Is.True);
    }
}
