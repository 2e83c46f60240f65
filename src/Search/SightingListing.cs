namespace ReId.Search;

/// <summary>A listing of stored sightings, newest first (latest <see cref="Sighting.LastSeen"/> first).</summary>
public sealed record SightingListQuery
{
    /// <summary>Most sightings a listing may ask for.</summary>
    public const int MaxLimit = 1_000_000;

    /// <summary>Only sightings of this encoder model version, when not null.</summary>
    public string? ModelVersion { get; init; }

    /// <summary>Only these cameras, when not null.</summary>
    public IReadOnlyCollection<string>? Cameras { get; init; }

    /// <summary>Only sightings that end at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only sightings that start at or before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>How many sightings at most (1 to <see cref="MaxLimit"/>).</summary>
    public int Limit { get; init; } = 100;
}

/// <summary>
/// One page of a pass over every sighting of one encoder model version, in a fixed order that sightings added
/// meanwhile do not disturb (what re-embedding by a new model walks). Start without <see cref="After"/>; go on with
/// the page's <see cref="SightingPage.Next"/> until it is null.
/// </summary>
public sealed record ModelSightingsQuery
{
    /// <summary>The model version whose sightings are listed.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>Where the previous page ended (its <see cref="SightingPage.Next"/>); null for the first page.</summary>
    public string? After { get; init; }

    /// <summary>Sightings per page (1 to 10000).</summary>
    public int Limit { get; init; } = 256;
}

/// <summary>A page of sightings (with embeddings and identities, without thumbnail bytes) and where the next begins.</summary>
/// <param name="Next">The cursor of the next page; null when this was the last.</param>
public sealed record SightingPage(IReadOnlyList<Sighting> Sightings, string? Next);

/// <summary>A listing of identities, most recently seen first.</summary>
public sealed record IdentityListQuery
{
    /// <summary>Only sightings of this encoder model version count, when not null.</summary>
    public string? ModelVersion { get; init; }

    /// <summary>Only identities seen by at least this many cameras (1 lists every identity).</summary>
    public int MinCameras { get; init; } = 1;

    /// <summary>How many identities at most (1 to <see cref="SightingListQuery.MaxLimit"/>).</summary>
    public int Limit { get; init; } = 100;
}

/// <summary>An identity with how many sightings and cameras it spans and when it was seen.</summary>
public sealed record IdentitySummary(Guid IdentityId, int Sightings, int Cameras, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);
