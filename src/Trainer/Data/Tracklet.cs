namespace ReId.Trainer.Data;

/// <summary>
/// One person seen by one camera: the frames in time order. <see cref="Identity"/> is the dataset's own person
/// id (a string, so site pseudo-identities and dataset ids share one type); <see cref="Subset"/> names the part
/// of the dataset the frames came from (e.g. "train", "query", "gallery"), or is empty when it has none.
/// </summary>
public sealed record Tracklet(string Identity, int Camera, IReadOnlyList<string> Frames, string Subset = "")
{
    /// <summary>A short name for messages: identity, camera and first frame.</summary>
    public override string ToString() => $"{Identity}@cam{Camera} ({Frames.Count} frames)";
}

/// <summary>The tracklets of a dataset, with the figures a user checks first.</summary>
public sealed record TrackletSet(string Layout, string Root, IReadOnlyList<Tracklet> Tracklets)
{
    public int IdentityCount => Tracklets.Select(t => t.Identity).Distinct(StringComparer.Ordinal).Count();

    public int CameraCount => Tracklets.Select(t => t.Camera).Distinct().Count();

    public int FrameCount => Tracklets.Sum(t => t.Frames.Count);

    /// <summary>
    /// Refuses sets that cannot train or evaluate cross-camera re-id: fewer than two identities or two cameras.
    /// </summary>
    public void EnsureTrainable(string purpose)
    {
        if (Tracklets.Count == 0)
        {
            throw new DatasetException($"{purpose}: the {Layout} data at '{Root}' has no tracklets.");
        }

        if (IdentityCount < 2)
        {
            throw new DatasetException(
                $"{purpose}: the {Layout} data at '{Root}' has only one identity ({Tracklets[0].Identity}); " +
                "re-identification needs at least two people.");
        }

        if (CameraCount < 2)
        {
            throw new DatasetException(
                $"{purpose}: the {Layout} data at '{Root}' has only one camera ({Tracklets[0].Camera}); " +
                "cross-camera re-identification needs at least two cameras.");
        }
    }
}

/// <summary>A dataset that cannot be read or used as asked; the message says what was expected.</summary>
public sealed class DatasetException : Exception
{
    public DatasetException(string message)
        : base(message)
    {
    }

    public DatasetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DatasetException()
    {
    }
}
