using OpenCvSharp;

namespace ReId.Tracking;

/// <summary>
/// ByteTrack (Zhang et al., 2022): Kalman-predicted tracks are matched by IoU first to the high-score detections,
/// then the tracks still unmatched to the low-score ones (people half hidden keep their track), then tentative
/// tracks to what is left; remaining confident detections start new tracks. Lost tracks are kept for
/// <see cref="TrackerOptions.LostTrackBuffer"/> to be found again; a lost track on top of one in view is the same
/// person twice and the one followed for less time ends (ByteTrack's <c>remove_duplicate_stracks</c>).
/// </summary>
internal sealed class ByteTracker : ITracker
{
    /// <summary>IoU above which a lost track and a track in view are one person twice (ByteTrack: distance &lt; 0.15).</summary>
    internal const float DuplicateIou = 0.85f;

    private readonly TrackerOptions _options;
    private readonly List<Track> _tracks = []; // tentative, confirmed and lost; removed ones leave
    private readonly Random _random;
    private readonly List<(long Earlier, long Later)> _stitches = [];
    private long _nextId = 1;
    private bool _firstFrame = true;
    private DateTimeOffset _lastTime = DateTimeOffset.MinValue;

    public ByteTracker(string cameraId, TrackerOptions options)
    {
        CameraId = cameraId;
        _options = options;
        _random = new Random(options.Seed);
    }

    public string CameraId { get; }

    internal int LiveTracks => _tracks.Count;

    /// <summary>Every stitch made so far: a lost track and the later track held to continue it (by motion alone).</summary>
    internal IReadOnlyList<(long Earlier, long Later)> Stitches => _stitches;

    public TrackerUpdate Update(BgrImage frame, DateTimeOffset time, IReadOnlyList<PersonDetection> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        if (time < _lastTime)
        {
            throw new ArgumentException(
                $"Frame time {time:O} is before the previous frame's {_lastTime:O} on camera {CameraId}.", nameof(time));
        }

        _lastTime = time;
        var high = new List<PersonDetection>();
        var low = new List<PersonDetection>();
        foreach (var d in detections)
        {
            if (d.Box.Area <= 0 || float.IsNaN(d.Score))
            {
                continue;
            }

            if (d.Score >= _options.HighScoreThreshold)
            {
                high.Add(d);
            }
            else if (d.Score >= _options.LowScoreThreshold)
            {
                low.Add(d);
            }
        }

        var tracklets = new List<Tracklet>();
        var matched = new List<(Track Track, PersonDetection Detection)>();
        var pool = _tracks.Where(t => t.State is TrackState.Confirmed or TrackState.Lost).ToList();
        var tentative = _tracks.Where(t => t.State == TrackState.Tentative).ToList();
        foreach (var t in _tracks)
        {
            t.Predict();
        }

        // Stage 1: confirmed and lost tracks against confident detections (IoU fused with the score).
        var (pairs, unmatchedPool, unmatchedHigh) = Associate(pool, high, _options.FirstStageMaxCost, fuseScore: true, _options.MatchBuffer);
        matched.AddRange(pairs);

        // Stage 2: tracks that were in view, still unmatched, against the low-score detections.
        var inView = unmatchedPool.Where(t => t.State == TrackState.Confirmed).ToList();
        var (pairs2, stillUnmatched, _) = Associate(inView, low, _options.SecondStageMaxCost, fuseScore: false, 0);
        matched.AddRange(pairs2);
        foreach (var t in stillUnmatched)
        {
            t.State = TrackState.Lost;
        }

        // Stage 3: tentative tracks against the confident detections left.
        var (pairs3, unmatchedTentative, newDetections) =
            Associate(tentative, unmatchedHigh, _options.TentativeMaxCost, fuseScore: true, _options.MatchBuffer);
        matched.AddRange(pairs3);
        foreach (var t in unmatchedTentative)
        {
            t.State = TrackState.Removed;
            ReleaseHeld(tracklets, t);
        }

        using var pinned = frame.IsEmpty ? null : frame.Pin();
        foreach (var (track, detection) in matched)
        {
            track.Match(detection, time);
            Offer(pinned?.Mat, track, detection, detections, time);
        }

        foreach (var d in newDetections)
        {
            if (d.Score < _options.NewTrackThreshold)
            {
                continue;
            }

            var track = new Track(_nextId++, d, time, new TrackletSampler(_options.SamplesPerTracklet));
            if (_firstFrame)
            {
                track.State = TrackState.Confirmed;
                track.WasConfirmed = true;
            }

            _tracks.Add(track);
            Offer(pinned?.Mat, track, d, detections, time);
        }

        _firstFrame = false;
        RemoveDuplicates(tracklets);
        foreach (var t in _tracks)
        {
            if (t.State == TrackState.Lost)
            {
                t.FramesLost++;
                if (time - t.LastSeen > _options.LostTrackBuffer)
                {
                    t.State = TrackState.Removed;
                    if (!(_options.StitchFragments && HoldForContinuation(t)))
                    {
                        AddTracklet(tracklets, t, isFinal: true);
                    }
                }
            }
            else if (t.Previous is { } held && time - held.LastSeen > _options.StitchMaxHold)
            {
                ReleaseHeld(tracklets, t);
            }
            else if (t.State == TrackState.Confirmed && _options.EmitInterval is { } every && time - t.LastEmitted >= every)
            {
                t.LastEmitted = time;
                AddTracklet(tracklets, t, isFinal: false);
            }
        }

        _tracks.RemoveAll(t => t.State == TrackState.Removed);
        var visible = _tracks.Where(t => t.State == TrackState.Confirmed)
            .Select(t => new TrackedPerson(t.Id, t.Box, t.Score)).ToList();
        return new TrackerUpdate(visible, tracklets);
    }

    public IReadOnlyList<Tracklet> Flush()
    {
        var tracklets = new List<Tracklet>();
        foreach (var t in _tracks)
        {
            if (t.WasConfirmed)
            {
                AddTracklet(tracklets, t, isFinal: true);
            }
            else
            {
                ReleaseHeld(tracklets, t);
            }
        }

        _tracks.Clear();
        return tracklets;
    }

    /// <summary>
    /// ByteTrack's <c>remove_duplicate_stracks</c>: a lost track and a track in view whose boxes overlap by more than
    /// <see cref="DuplicateIou"/> follow one person twice (a new track was started while the old one was lost);
    /// the one followed for the shorter time (first to last seen) ends, so the longer one keeps the person. An ended
    /// lost track gives its final tracklet as expiry would; an ended track in view too when it is long enough.
    /// </summary>
    private void RemoveDuplicates(List<Tracklet> tracklets)
    {
        List<Track>? lost = null;
        foreach (var t in _tracks)
        {
            if (t.State == TrackState.Lost)
            {
                (lost ??= []).Add(t);
            }
        }

        if (lost is null)
        {
            return;
        }

        foreach (var inView in _tracks)
        {
            if (inView.State is not (TrackState.Confirmed or TrackState.Tentative))
            {
                continue;
            }

            var box = inView.Box;
            foreach (var old in lost)
            {
                if (old.State != TrackState.Lost || box.Iou(old.Box) <= DuplicateIou)
                {
                    continue;
                }

                var shorter = inView.LastSeen - inView.FirstSeen > old.LastSeen - old.FirstSeen ? old : inView;
                shorter.State = TrackState.Removed;
                AddTracklet(tracklets, shorter, isFinal: true);
                if (shorter == inView)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Fragment stitching: when the lost track <paramref name="ended"/> is no detector noise and a track in view
    /// started after it was last seen and is now close to where the lost one is predicted to be
    /// (<see cref="TrackerOptions.StitchMaxDistance"/> heights, a similar height), its final tracklet is held by the
    /// nearest such track as <see cref="Track.Previous"/> and given with that track's when it ends. False when there
    /// is none.
    /// </summary>
    private bool HoldForContinuation(Track ended)
    {
        if (IsNoise(ended))
        {
            return false;
        }

        var predicted = ended.Box; // both boxes are compared as they are now
        Track? best = null;
        float bestDistance = float.MaxValue;
        foreach (var t in _tracks)
        {
            if (t == ended || t.Previous is not null || t.State is not (TrackState.Confirmed or TrackState.Tentative) ||
                t.FirstSeen <= ended.LastSeen)
            {
                continue;
            }

            var box = t.Box;
            float height = MathF.Max(predicted.Height, box.Height);
            float ratio = predicted.Height / MathF.Max(box.Height, 1e-3f);
            float dx = (box.X + (box.Width / 2)) - (predicted.X + (predicted.Width / 2));
            float dy = (box.Y + (box.Height / 2)) - (predicted.Y + (predicted.Height / 2));
            float distance = MathF.Sqrt((dx * dx) + (dy * dy)) / MathF.Max(height, 1e-3f);
            if (ratio is < 2f / 3 or > 1.5f || distance > _options.StitchMaxDistance || distance >= bestDistance)
            {
                continue;
            }

            best = t;
            bestDistance = distance;
        }

        if (best is null)
        {
            return false;
        }

        _stitches.Add((ended.Id, best.Id));
        best.Previous = Build(ended, isFinal: true); // null without crops (tracking given detections): nothing to hold
        return true;
    }

    /// <summary>Gives a held earlier fragment on its own (the track that held it gives no tracklet of its own).</summary>
    private static void ReleaseHeld(List<Tracklet> tracklets, Track track)
    {
        if (track.Previous is { } held)
        {
            tracklets.Add(held);
            track.Previous = null;
        }
    }

    private static void Offer(Mat? frame, Track track, PersonDetection detection, IReadOnlyList<PersonDetection> all, DateTimeOffset time)
    {
        if (frame is null)
        {
            return;
        }

        float occlusion = 0;
        foreach (var other in all)
        {
            if (other != detection)
            {
                occlusion = MathF.Max(occlusion, detection.Box.Iou(other.Box));
            }
        }

        track.Sampler.Offer(frame, time, detection.Box, detection.Score, occlusion);
    }

    private void AddTracklet(List<Tracklet> tracklets, Track track, bool isFinal)
    {
        if (Build(track, isFinal) is { } tracklet)
        {
            tracklets.Add(tracklet);
            if (isFinal)
            {
                track.Previous = null;
            }
        }
        else if (isFinal)
        {
            ReleaseHeld(tracklets, track);
        }
    }

    /// <summary>A track never confirmed or matched in too few frames is a flicker of the detector: it gives no tracklet.</summary>
    private bool IsNoise(Track track) => !track.WasConfirmed || track.FramesMatched < _options.MinFrames;

    /// <summary>The track's tracklet (a final one with the fragment it holds), or null when it has none to give.</summary>
    private Tracklet? Build(Track track, bool isFinal)
    {
        if (IsNoise(track))
        {
            return null;
        }

        var (chosen, best) = track.Sampler.Select(_random);
        if (best is null)
        {
            return null;
        }

        foreach (var c in chosen)
        {
            c.Emitted = true;
        }

        var samples = chosen.Select(c => new TrackletSample(c.Time, c.Box, new BgrImage(c.Crop, PersonCrop.Width, PersonCrop.Height))).ToList();
        var quality = new TrackletQuality(
            track.FramesMatched,
            track.FramesLost,
            chosen.Average(c => c.Score),
            chosen.Average(c => c.Sharpness),
            chosen.Average(c => c.Occlusion),
            chosen.Average(c => c.Box.Height));
        return new Tracklet(CameraId, track.Id, track.FirstSeen, track.LastSeen, samples,
            CropCutter.Jpeg(new BgrImage(best.Crop, PersonCrop.Width, PersonCrop.Height)), quality, isFinal)
        {
            Previous = isFinal ? track.Previous : null,
        };
    }

    /// <summary>
    /// Matches tracks to detections at a cost of 1 - IoU (times the score when fused) of both boxes grown by
    /// <paramref name="buffer"/>, under a limit.
    /// </summary>
    private static (List<(Track, PersonDetection)> Pairs, List<Track> UnmatchedTracks, List<PersonDetection> UnmatchedDetections)
        Associate(List<Track> tracks, List<PersonDetection> detections, float maxCost, bool fuseScore, float buffer)
    {
        var pairs = new List<(Track, PersonDetection)>();
        if (tracks.Count == 0 || detections.Count == 0)
        {
            return (pairs, tracks, detections);
        }

        var cost = new double[tracks.Count, detections.Count];
        for (int i = 0; i < tracks.Count; i++)
        {
            var box = tracks[i].Box.Buffered(buffer);
            for (int j = 0; j < detections.Count; j++)
            {
                double iou = box.Iou(detections[j].Box.Buffered(buffer));
                cost[i, j] = 1 - (fuseScore ? iou * detections[j].Score : iou);
            }
        }

        var trackUsed = new bool[tracks.Count];
        var detectionUsed = new bool[detections.Count];
        foreach (var (row, col) in LinearAssignment.SolveWithLimit(cost, maxCost))
        {
            pairs.Add((tracks[row], detections[col]));
            trackUsed[row] = true;
            detectionUsed[col] = true;
        }

        return (pairs,
            tracks.Where((_, i) => !trackUsed[i]).ToList(),
            detections.Where((_, j) => !detectionUsed[j]).ToList());
    }
}
