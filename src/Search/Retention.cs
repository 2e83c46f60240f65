namespace ReId.Search;

/// <summary>How long sightings and kept crops are kept.</summary>
public sealed record RetentionOptions
{
    /// <summary>Sightings (with thumbnails and crops) that ended longer ago than this are deleted.</summary>
    public TimeSpan SightingMaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Kept crops are deleted this long after they were kept (sooner when their sighting goes).</summary>
    public TimeSpan CropMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the service applies the ages.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Checks the values, naming the bad one.</summary>
    /// <exception cref="ArgumentException">A value is bad.</exception>
    public RetentionOptions Validated()
    {
        var errors = new OptionErrors();
        Validate(errors, "Search:Retention");
        errors.ThrowIfAny();
        return this;
    }

    internal void Validate(OptionErrors errors, string key)
    {
        errors.Check(SightingMaxAge > TimeSpan.Zero, $"{key}:SightingMaxAge", SightingMaxAge, "a positive time span (e.g. 30.00:00:00 for 30 days)");
        errors.Check(CropMaxAge > TimeSpan.Zero, $"{key}:CropMaxAge", CropMaxAge, "a positive time span (e.g. 7.00:00:00 for 7 days)");
        errors.Check(Interval >= TimeSpan.FromSeconds(1), $"{key}:Interval", Interval, "at least 1 second (e.g. 01:00:00)");
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
