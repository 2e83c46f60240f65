using ReId.Detection;

namespace ReId.Tracking.Tests;

public class ByteTrackerTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    private static DateTimeOffset At(int frame) => T0 + TimeSpan.FromMilliseconds(100 * frame);

    private static PersonDetection P(float x, float y, float score = 0.9f) => new(new Box(x, y, 40, 100), score);

    /// <summary>A noisy 640x480 frame, so crops have texture.</summary>
    private static BgrImage Frame()
    {
        var pixels = new byte[640 * 480 * 3];
        new Random(5).NextBytes(pixels);
        return new BgrImage(pixels, 640, 480);
    }

    [Test]
    public void Create_UnknownTracker_ListsValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => TrackerRegistry.Create("c", new TrackerOptions { Tracker = "sort" }));
        Assert.That(e!.Message, Does.Contain("'sort'").And.Contain("bytetrack"));
    }

    [Test]
    public void Create_BadThreshold_NamesKeyAndValue()
    {
        var e = Assert.Throws<ArgumentException>(() => TrackerRegistry.Create("c", new TrackerOptions { HighScoreThreshold = 1.5f }));
        Assert.That(e!.Message, Does.Contain("Tracking:HighScoreThreshold").And.Contain("1.5"));
    }

    [Test]
    public void Update_TwoWalkers_KeepTheirIds()
    {
        var tracker = TrackerRegistry.Create("c", new TrackerOptions());
        var ids = new List<(long A, long B)>();
        for (int f = 0; f < 20; f++)
        {
            var u = tracker.Update(default, At(f), [P(10 + (5 * f), 50), P(400 - (5 * f), 300)]);
            if (f > 0)
            {
                var a = u.Tracks.Single(t => t.Box.Y < 200).TrackId;
                var b = u.Tracks.Single(t => t.Box.Y >= 200).TrackId;
                ids.Add((a, b));
            }
        }

        Assert.That(ids.Distinct().Count(), Is.EqualTo(1));
        Assert.That(ids[0].A, Is.Not.EqualTo(ids[0].B));
    }

    [Test]
    public void Update_CrossingPaths_IdsFollowTheirMotion()
    {
        // Two people on the same row walking towards each other; boxes overlap while passing.
        var tracker = TrackerRegistry.Create("c", new TrackerOptions());
        long leftId = 0, rightId = 0;
        for (int f = 0; f < 40; f++)
        {
            var u = tracker.Update(default, At(f), [P(50 + (10 * f), 100), P(450 - (10 * f), 104)]);
            if (f == 2)
            {
                leftId = u.Tracks.MinBy(t => t.Box.X).TrackId;
                rightId = u.Tracks.MaxBy(t => t.Box.X).TrackId;
            }
        }

        var end = tracker.Update(default, At(40), [P(450, 100), P(50, 104)]);
        Assert.That(end.Tracks.Single(t => t.Box.X > 300).TrackId, Is.EqualTo(leftId), "the one from the left is now right");
        Assert.That(end.Tracks.Single(t => t.Box.X < 200).TrackId, Is.EqualTo(rightId));
    }

    [Test]
    public void Update_MissedForAFewFrames_SameIdComesBack()
    {
        var tracker = TrackerRegistry.Create("c", new TrackerOptions());
        long id = 0;
        for (int f = 0; f < 30; f++)
        {
            bool hidden = f is >= 10 and < 15;
            var u = tracker.Update(default, At(f), hidden ? [] : [P(20 + (6 * f), 80)]);
            if (f == 5)
            {
                id = u.Tracks.Single().TrackId;
            }

            if (hidden)
            {
                Assert.That(u.Tracks, Is.Empty, "a lost track is not reported as in view");
            }
            else if (f > 5)
            {
                Assert.That(u.Tracks.Single().TrackId, Is.EqualTo(id), $"frame {f}");
            }
        }
    }

    [Test]
    public void Update_LowScoreDetection_KeepsTrackAliveButStartsNone()
    {
        var tracker = TrackerRegistry.Create("c", new TrackerOptions());
        for (int f = 0; f < 5; f++)
        {
            tracker.Update(default, At(f), [P(10 + (4 * f), 10)]);
        }

        // Half hidden now: low score, still matched in the second stage. A lone low-score box elsewhere starts nothing.
        var u = tracker.Update(default, At(5), [P(30, 10, 0.3f), P(400, 300, 0.3f)]);

        Assert.That(u.Tracks, Has.Count.EqualTo(1));
        Assert.That(u.Tracks[0].Box.X, Is.EqualTo(30).Within(3));
    }

    [Test]
    public void Update_SingleFlash_NeverConfirmed()
    {
        var tracker = TrackerRegistry.Create("c", new TrackerOptions());
        tracker.Update(default, At(0), []);
        var u1 = tracker.Update(default, At(1), [P(100, 100)]);
        var u2 = tracker.Update(default, At(2), []);
        Assert.That(u1.Tracks.Concat(u2.Tracks), Is.Empty);
        Assert.That(tracker.Flush(), Is.Empty);
    }

    [TestCase(3, 4, 0)]
    [TestCase(4, 4, 1)]
    [TestCase(3, 1, 1)]
    public void Flush_TrackShorterThanMinFrames_GivesNoTracklet(int frames, int minFrames, int expected)
    {
        var tracker = TrackerRegistry.Create("c", new TrackerOptions { MinFrames = minFrames });
        var frame = Frame();
        for (int f = 0; f < frames; f++)
        {
            tracker.Update(frame, At(f), [P(100 + f, 100)]);
        }

        Assert.That(tracker.Flush(), Has.Count.EqualTo(expected));
    }

    [Test]
    public void Update_PeopleComingAndGoing_IdsNeverReused()
    {
        var tracker = TrackerRegistry.Create("c", new TrackerOptions { LostTrackBuffer = TimeSpan.FromMilliseconds(300) });
        var seen = new HashSet<long>();
        var ended = new List<long>();
        long? current = null;
        for (int f = 0; f < 120; f++)
        {
            // A new person every 20 frames, each visible for 12 frames at the same spot.
            bool visible = f % 20 < 12;
            var u = tracker.Update(Frame(), At(f), visible ? [P(200, 200)] : []);
            ended.AddRange(u.Tracklets.Where(t => t.IsFinal).Select(t => t.TrackId));
            foreach (var t in u.Tracks)
            {
                if (current != t.TrackId)
                {
                    Assert.That(seen.Add(t.TrackId), Is.True, $"id {t.TrackId} given again at frame {f}");
                    current = t.TrackId;
                }
            }
        }

        Assert.That(seen, Has.Count.EqualTo(6));
        Assert.That(ended, Is.Unique);
    }

    [Test]
    public void Update_TimeGoesBackwards_Throws()
    {
        var tracker = TrackerRegistry.Create("cam-7", new TrackerOptions());
        tracker.Update(default, At(5), []);
        var e = Assert.Throws<ArgumentException>(() => tracker.Update(default, At(4), []));
        Assert.That(e!.Message, Does.Contain("cam-7"));
    }

    [Test]
    public void Update_TrackEnds_GivesFinalTrackletWithCropsAndThumbnail()
    {
        var tracker = TrackerRegistry.Create("cam-3", new TrackerOptions { LostTrackBuffer = TimeSpan.FromMilliseconds(500) });
        var frame = Frame();
        var tracklets = new List<Tracklet>();
        for (int f = 0; f < 60; f++)
        {
            var detections = f < 40 ? new[] { P(100 + (3 * f), 120) } : [];
            tracklets.AddRange(tracker.Update(frame, At(f), detections).Tracklets);
        }

        var t = tracklets.Single();
        Assert.Multiple(() =>
        {
            Assert.That(t.IsFinal, Is.True);
            Assert.That(t.CameraId, Is.EqualTo("cam-3"));
            Assert.That(t.FirstSeen, Is.EqualTo(At(0)));
            Assert.That(t.LastSeen, Is.EqualTo(At(39)));
            Assert.That(t.Samples, Has.Count.EqualTo(8));
            Assert.That(t.Samples.All(s => s.Crop.Bgr.Length == 128 * 256 * 3), Is.True);
            Assert.That(t.Samples.Select(s => s.Time), Is.Ordered);
            Assert.That(t.ThumbnailJpeg, Is.Not.Empty);
            Assert.That(t.ThumbnailJpeg[..2], Is.EqualTo(new byte[] { 0xFF, 0xD8 }));
            Assert.That(t.Quality.FramesMatched, Is.EqualTo(40));
            Assert.That(t.Quality.MeanHeight, Is.EqualTo(100).Within(1));
        });
    }

    [Test]
    public void Update_LongTrack_EmitsPartialTrackletsEveryInterval()
    {
        var tracker = TrackerRegistry.Create("c", new TrackerOptions { EmitInterval = TimeSpan.FromSeconds(2) });
        var frame = Frame();
        var partial = new List<Tracklet>();
        for (int f = 0; f < 65; f++)
        {
            partial.AddRange(tracker.Update(frame, At(f), [P(100 + f, 100)]).Tracklets);
        }

        Assert.That(partial, Has.Count.EqualTo(3), "at 2 s, 4 s and 6 s");
        Assert.That(partial.All(t => !t.IsFinal && t.TrackId == partial[0].TrackId && t.FirstSeen == At(0)), Is.True);
        Assert.That(partial.Select(t => t.LastSeen), Is.Ordered.And.Unique);
        var final = tracker.Flush().Single();
        Assert.That((final.IsFinal, final.LastSeen), Is.EqualTo((true, At(64))));
    }

    [Test]
    public void Update_FrameSizeChangesAndBoxesLeaveTheFrame_KeepsGoing()
    {
        var tracker = TrackerRegistry.Create("c", new TrackerOptions { LostTrackBuffer = TimeSpan.Zero });
        var big = Frame();
        var small = new BgrImage(new byte[160 * 120 * 3], 160, 120);
        var tracklets = new List<Tracklet>();
        for (int f = 0; f < 20; f++)
        {
            // The box runs off the right edge of the small frames.
            var u = tracker.Update(f % 2 == 0 ? big : small, At(f), [P(100 + (4 * f), 50)]);
            tracklets.AddRange(u.Tracklets);
        }

        tracklets.AddRange(tracker.Update(small, At(21), []).Tracklets);
        Assert.That(tracklets, Has.Count.EqualTo(1));
        Assert.That(tracklets[0].Samples, Is.Not.Empty);
    }

    [Test]
    public void Update_FrameBufferReusedAfterwards_CropsKeepTheirPixels()
    {
        var tracker = TrackerRegistry.Create("c", new TrackerOptions());
        var pixels = new byte[640 * 480 * 3];
        var frame = new BgrImage(pixels, 640, 480);
        for (int f = 0; f < 10; f++)
        {
            Array.Fill(pixels, (byte)200);
            tracker.Update(frame, At(f), [P(100 + f, 100)]);
            Array.Clear(pixels); // the frame goes back to its pool and is overwritten at once
        }

        var tracklet = tracker.Flush().Single();
        Assert.That(tracklet.Samples.All(s => s.Crop.Bgr.Span.IndexOfAnyExcept((byte)200) < 0), Is.True);
    }

    [Test]
    public void Update_LostTrackDuplicatingTheTrackInView_IsRemoved()
    {
        // Two near-identical boxes of one person (IoU 0.95) start two tracks; from frame 10 one box is left and
        // one track goes lost right on top of the other: a duplicate, removed at once, not kept for the buffer.
        var tracker = (ByteTracker)TrackerRegistry.Create("c", new TrackerOptions());
        for (int f = 0; f < 10; f++)
        {
            tracker.Update(default, At(f), [P(100, 50), P(101, 50)]);
        }

        Assert.That(tracker.LiveTracks, Is.EqualTo(2));
        var u = tracker.Update(default, At(10), [P(100, 50)]);

        Assert.That(u.Tracks, Has.Count.EqualTo(1));
        Assert.That(tracker.LiveTracks, Is.EqualTo(1), "the lost duplicate is gone, not waiting out the lost-track buffer");
    }

    [Test]
    public void Update_YoungTrackDuplicatingALostOlderOne_EndsAndTheOlderTakesThePersonBack()
    {
        // Track 1 follows the person from frame 0; a second box (IoU 0.95) starts track 2 at frame 10; at frame 20
        // only the second box is left and goes to track 2, track 1 lost on top of it. Track 2 was followed for the
        // shorter time: it ends, and track 1, found again in the next frame, keeps the person (ByteTrack's rule).
        var tracker = TrackerRegistry.Create("c", new TrackerOptions());
        for (int f = 0; f < 20; f++)
        {
            tracker.Update(default, At(f), f < 10 ? [P(100, 50)] : [P(100, 50), P(101, 50)]);
        }

        var ids = new List<long>();
        for (int f = 20; f < 30; f++)
        {
            var u = tracker.Update(default, At(f), [P(101, 50)]);
            if (f > 20)
            {
                ids.AddRange(u.Tracks.Select(t => t.TrackId));
            }
        }

        Assert.That(ids, Has.Count.EqualTo(9));
        Assert.That(ids, Is.All.EqualTo(1L));
    }
}
