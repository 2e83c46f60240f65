using System.Diagnostics;

namespace ReId.Tracking;

/// <summary>
/// Runs a tracker over given detections (MOTChallenge public detections, <c>det.txt</c>): no detector and no
/// frames. Every frame from 1 to the last is given to the tracker, those without a detection too, at
/// <c>(frame - 1) / fps</c> seconds, so lost tracks expire as they would on video. The tracker cuts no crops.
/// </summary>
public static class DetectionTracking
{
    /// <param name="detections">boxes with their scores (the MOT confidence column); ids are not read.</param>
    /// <param name="tracker">a fresh tracker.</param>
    /// <param name="fps">the sequence's frame rate.</param>
    /// <param name="frames">the sequence's length; at least the last detection's frame is run.</param>
    public static VideoTrackingResult Run(IEnumerable<MotRecord> detections, ITracker tracker, double fps, int frames = 0)
    {
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(tracker);
        if (!(fps > 0) || double.IsInfinity(fps))
        {
            throw new ArgumentOutOfRangeException(nameof(fps), fps, "The frame rate must be a positive number.");
        }

        var byFrame = detections.GroupBy(d => d.Frame)
            .ToDictionary(g => g.Key, g => g.Select(d => new PersonDetection(d.Box, d.Confidence)).ToList());
        int last = Math.Max(frames, byFrame.Count == 0 ? 0 : byFrame.Keys.Max());
        var records = new List<MotRecord>();
        int tracklets = 0, count = 0;
        var clock = Stopwatch.StartNew();
        for (int frame = 1; frame <= last; frame++)
        {
            var found = byFrame.GetValueOrDefault(frame) ?? [];
            count += found.Count;
            var update = tracker.Update(default, DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds((frame - 1) / fps), found);
            tracklets += update.Tracklets.Count(t => t.IsFinal);
            records.AddRange(update.Tracks.Select(t => new MotRecord(frame, t.TrackId, t.Box, t.Score)));
        }

        tracklets += tracker.Flush().Count;
        return new VideoTrackingResult(StitchedIds.Apply(tracker, records), last, tracklets, count, clock.Elapsed);
    }
}

/// <summary>MOT records of a tracker's run as one person's track: stitched fragments under the first one's id.</summary>
internal static class StitchedIds
{
    /// <summary>
    /// The records with each track stitched to an earlier one (<see cref="TrackerOptions.StitchFragments"/>) under
    /// that earlier track's id: stitching by motion alone, as the tracker proposes it before any embedding is seen.
    /// </summary>
    public static List<MotRecord> Apply(ITracker tracker, List<MotRecord> records)
    {
        if (tracker is not ByteTracker { Stitches.Count: > 0 } byteTracker)
        {
            return records;
        }

        var root = new Dictionary<long, long>();
        foreach (var (earlier, later) in byteTracker.Stitches)
        {
            root[later] = root.GetValueOrDefault(earlier, earlier);
        }

        return records.ConvertAll(r => root.TryGetValue(r.Id, out long id) ? r with { Id = id } : r);
    }
}
