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
    bool IsFinal)
{
    /// <summary>
    /// With <c>Tracking:StitchFragments</c>: the final tracklet of an earlier track of this camera that ended (lost)
    /// shortly before this track started, close to where this one began: probably the same person, the track broken
    /// by an occlusion or a missed detection. The pipeline embeds both and stores them as one sighting when their
    /// embeddings agree (<see cref="TrackletFragments"/>), as two otherwise. Null for a track with no such fragment.
    /// </summary>
    public Tracklet? Previous { get; init; }

    /// <summary>This tracklet's fragments, oldest first: the <see cref="Previous"/> chain, then this one.</summary>
    public IReadOnlyList<Tracklet> Fragments()
    {
        var chain = new List<Tracklet>();
        for (var t = this; t is not null; t = t.Previous)
        {
            chain.Add(t with { Previous = null });
        }

        chain.Reverse();
        return chain;
    }
}

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

/// <summary>
/// Joins the fragments of one broken track (<see cref="Tracklet.Fragments"/>) whose embeddings agree into one
/// tracklet, so that a person briefly hidden is one sighting rather than two.
/// </summary>
public static class TrackletFragments
{
    /// <summary>
    /// Groups consecutive fragments: each joins the group before it when the cosine similarity of its embedding with
    /// the group's (the normalised mean of the group's fragments) is at least <paramref name="minSimilarity"/>.
    /// A group becomes one tracklet: the first fragment's track id and start, the last one's end, every sample in
    /// time order, the first fragment's thumbnail; its embedding is the group's.
    /// </summary>
    /// <param name="fragments">fragments of one track, oldest first, with their L2-normalised embeddings.</param>
    public static IReadOnlyList<(Tracklet Tracklet, float[] Embedding)> Join(
        IReadOnlyList<(Tracklet Tracklet, float[] Embedding)> fragments, float minSimilarity)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        var groups = new List<(Tracklet Tracklet, float[] Sum)>(); // Sum: the fragments' embeddings added up
        foreach (var (tracklet, embedding) in fragments)
        {
            if (groups.Count > 0 && System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(groups[^1].Sum, embedding) >= minSimilarity)
            {
                var (group, sum) = groups[^1];
                System.Numerics.Tensors.TensorPrimitives.Add(sum, embedding, sum);
                groups[^1] = (Merge(group, tracklet), sum);
            }
            else
            {
                groups.Add((tracklet, (float[])embedding.Clone()));
            }
        }

        return groups.Select(g => (g.Tracklet, Embedding.Normalise(g.Sum))).ToList();
    }

    private static Tracklet Merge(Tracklet first, Tracklet next)
    {
        int n1 = first.Samples.Count, n2 = next.Samples.Count;
        float Mean(float a, float b) => n1 + n2 == 0 ? 0 : ((a * n1) + (b * n2)) / (n1 + n2);
        var (q1, q2) = (first.Quality, next.Quality);
        return first with
        {
            LastSeen = next.LastSeen,
            Samples = [.. first.Samples.Concat(next.Samples).OrderBy(s => s.Time)],
            ThumbnailJpeg = first.ThumbnailJpeg.Length > 0 ? first.ThumbnailJpeg : next.ThumbnailJpeg,
            Quality = new TrackletQuality(
                q1.FramesMatched + q2.FramesMatched,
                q1.FramesLost + q2.FramesLost,
                Mean(q1.MeanScore, q2.MeanScore),
                Mean(q1.MeanSharpness, q2.MeanSharpness),
                Mean(q1.MeanOcclusion, q2.MeanOcclusion),
                Mean(q1.MeanHeight, q2.MeanHeight)),
            IsFinal = next.IsFinal,
        };
    }
}
