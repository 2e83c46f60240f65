namespace ReId.Tracking;

/// <summary>Life of a track.</summary>
internal enum TrackState
{
    /// <summary>Seen once; becomes confirmed when matched again in the next frame, removed otherwise.</summary>
    Tentative,

    /// <summary>Matched in the latest frame.</summary>
    Confirmed,

    /// <summary>Confirmed before, unmatched now; may be found again within the lost-track buffer.</summary>
    Lost,

    /// <summary>Ended; its final tracklet has been given.</summary>
    Removed,
}
