namespace ReId.Search;

/// <summary>How long sightings and kept crops are kept.</summary>
public sealed record RetentionOptions
{
    /// <summary>Sightings (with thumbnails and crops) that ended longer ago than this are deleted.</summary>
    public TimeSpan SightingMaxAge { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Kept crops are deleted this long after they were kept (sooner when their sighting goes).</summary>
    public TimeSpan CropMaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Checks the values, naming the bad one.</summary>
    public RetentionOptions Validated()
    {
        if (SightingMaxAge <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Search:Retention:SightingMaxAge is {SightingMaxAge}; it must be positive.");
        }

        if (CropMaxAge <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Search:Retention:CropMaxAge is {CropMaxAge}; it must be positive.");
        }

        return this;
    }
}

/// <summary>Applies <see cref="RetentionOptions"/> to a store, with time from a <see cref="TimeProvider"/>.</summary>
public sealed class Retention(ISightingStore store, RetentionOptions options, TimeProvider timeProvider)
{
    private readonly RetentionOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Validated();

    /// <summary>Keeps a tracklet's crops from now on.</summary>
    public Task KeepCropsAsync(Guid sightingId, IReadOnlyList<KeptCrop> crops, CancellationToken cancellationToken = default) =>
        store.KeepCropsAsync(sightingId, crops, timeProvider.GetUtcNow(), cancellationToken);

    /// <summary>Deletes what is older than the configured ages.</summary>
    public Task<PurgeResult> PurgeAsync(CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        return store.PurgeAsync(now - _options.SightingMaxAge, now - _options.CropMaxAge, cancellationToken);
    }
}
