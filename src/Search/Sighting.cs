namespace ReId.Search;

/// <summary>One sampled moment of a track: when, and where the person was in the frame.</summary>
public readonly record struct SightingSample(DateTimeOffset Time, Box Box);

/// <summary>
/// One tracklet of one person in one camera, reduced to a single appearance embedding.
/// </summary>
/// <param name="Id">Chosen by the caller (a version-7 Guid keeps ids in time order); never empty.</param>
/// <param name="Camera">Camera id.</param>
/// <param name="Track">Track id within the camera.</param>
/// <param name="FirstSeen">Start of the track.</param>
/// <param name="LastSeen">End of the track (not before <paramref name="FirstSeen"/>).</param>
/// <param name="ModelVersion">Encoder model version that produced <paramref name="Embedding"/>.</param>
/// <param name="Embedding">128 finite floats, not all zero; stored L2-normalised.</param>
/// <param name="Samples">Sampled times and boxes (may be empty).</param>
/// <param name="Thumbnail">A JPEG of the person, or null.</param>
public sealed record Sighting(
    Guid Id,
    string Camera,
    long Track,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string ModelVersion,
    float[] Embedding,
    IReadOnlyList<SightingSample> Samples,
    byte[]? Thumbnail)
{
    /// <summary>Length of every embedding (the contracts' <see cref="ReId.Embedding.Dimension"/>).</summary>
    public const int Dimension = ReId.Embedding.Dimension;

    /// <summary>The cross-camera identity this sighting belongs to, once linked.</summary>
    public Guid? IdentityId { get; init; }

    /// <summary>The box of the sample nearest the middle of the track (or an empty box without samples).</summary>
    public Box RepresentativeBox => Samples.Count == 0 ? default : Samples[Samples.Count / 2].Box;
}

/// <summary>One crop kept from a tracklet for re-embedding or retraining: a <see cref="PersonCrop"/> (128 wide x 256 high BGR24 bytes).</summary>
public sealed record KeptCrop(DateTimeOffset Time, byte[] Bgr)
{
    /// <summary>Crop width in pixels.</summary>
    public const int Width = PersonCrop.Width;

    /// <summary>Crop height in pixels.</summary>
    public const int Height = PersonCrop.Height;

    /// <summary>Bytes in one crop.</summary>
    public const int ByteLength = PersonCrop.Bytes;

    /// <summary>The crop as the pipeline's image (no copy).</summary>
    public BgrImage Image => new(Bgr, Width, Height);
}

/// <summary>A user's decision on whether two sightings show the same person.</summary>
public enum LinkDecision
{
    /// <summary>Same person.</summary>
    Confirmed = 1,

    /// <summary>Different people.</summary>
    Rejected = 2,
}

/// <summary>A user's decision on a pair of sightings, kept for retraining.</summary>
public sealed record LinkFeedback(Guid SightingA, Guid SightingB, LinkDecision Decision, DateTimeOffset DecidedAt, string ModelVersion);

/// <summary>What a purge removed.</summary>
public readonly record struct PurgeResult(int Sightings, int Crops);
