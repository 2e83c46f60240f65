namespace ReId.Tracking;

// The tracker's contract. These messages sit in the ReId.Tracking namespace (in this contracts assembly) rather
// than in ReId because the trainer has a Tracklet type of its own that ReId.Tracklet would hide.

/// <summary>
/// One person followed within one camera, with the crops kept for re-identification. A long track gives several
/// tracklets with the same <see cref="TrackId"/>, each covering the track from its start (<see cref="IsFinal"/> false
/// until the track ends).
/// </summary>
public sealed record Tracklet(
    string CameraId,
    long TrackId,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    IReadOnlyList<TrackletSample> Samples,
    byte[] ThumbnailJpeg,
    TrackletQuality Quality,
    bool IsFinal);

/// <summary>
/// A kept crop: when, where in the frame, and the pixels (the tracker's are <see cref="PersonCrop.Width"/> x
/// <see cref="PersonCrop.Height"/>, stretched to the box), owned by the tracklet.
/// </summary>
public sealed record TrackletSample(DateTimeOffset Time, Box Box, BgrImage Crop);

/// <summary>How good the tracklet's material is.</summary>
/// <param name="FramesMatched">frames in which a detection was matched to the track.</param>
/// <param name="FramesLost">frames the track was carried without a detection, between first and last seen.</param>
/// <param name="MeanScore">mean detection score of the kept samples.</param>
/// <param name="MeanSharpness">mean variance of the Laplacian of the kept crops (grey levels squared).</param>
/// <param name="MeanOcclusion">mean largest IoU of the kept samples' boxes with other detections of their frame.</param>
/// <param name="MeanHeight">mean box height of the kept samples, frame pixels.</param>
public sealed record TrackletQuality(
    int FramesMatched, int FramesLost, float MeanScore, float MeanSharpness, float MeanOcclusion, float MeanHeight);

/// <summary>A confirmed track's state in the current frame.</summary>
public readonly record struct TrackedPerson(long TrackId, Box Box, float Score);

/// <summary>What one tracker update gives: the tracks in view and the tracklets ready now.</summary>
public sealed record TrackerUpdate(IReadOnlyList<TrackedPerson> Tracks, IReadOnlyList<Tracklet> Tracklets);

/// <summary>Follows people within one camera. Not thread-safe; one instance per camera.</summary>
public interface ITracker
{
    string CameraId { get; }

    /// <summary>
    /// Feeds one frame and its detections. Crops are copied out of <paramref name="frame"/> before this returns,
    /// so the frame's buffer can be recycled at once.
    /// </summary>
    TrackerUpdate Update(BgrImage frame, DateTimeOffset time, IReadOnlyList<PersonDetection> detections);

    /// <summary>Ends every track (end of stream) and returns their final tracklets.</summary>
    IReadOnlyList<Tracklet> Flush();
}
