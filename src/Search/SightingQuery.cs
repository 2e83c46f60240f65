namespace ReId.Search;

/// <summary>A nearest-neighbour query against one encoder model version's sightings.</summary>
public sealed record SightingQuery(string ModelVersion, float[] Embedding)
{
    /// <summary>How many hits at most (1-10,000).</summary>
    public int K { get; init; } = 10;

    /// <summary>Lowest cosine similarity a hit may have (-1 to 1).</summary>
    public float MinSimilarity { get; init; } = -1f;

    /// <summary>Only these cameras, when not null.</summary>
    public IReadOnlyCollection<string>? Cameras { get; init; }

    /// <summary>Only sightings that end at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only sightings that start at or before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Leave out every sighting of this camera.</summary>
    public string? ExcludeCamera { get; init; }

    /// <summary>Leave out the sightings of this one track (camera, track).</summary>
    public (string Camera, long Track)? ExcludeTrack { get; init; }
}

/// <summary>One search hit.</summary>
public sealed record SightingHit(
    Guid SightingId,
    string Camera,
    long Track,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    float Score,
    Box Box,
    Guid? IdentityId,
    bool HasThumbnail);
