using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ReId.Search;

/// <summary>Configuration section Search: which store, where, and its parts.</summary>
public sealed record SearchOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Search";

    /// <summary>"embedded" (default) or "qdrant" (key Search:Store).</summary>
    public string Store { get; set; } = "embedded";

    /// <summary>Folder of the embedded store (key Search:Directory).</summary>
    public string Directory { get; set; } = "data/search";

    /// <summary>Keep each sighting's crops so that it can be re-embedded by a new model and used for retraining
    /// (key Search:KeepCrops); they are deleted after <see cref="RetentionOptions.CropMaxAge"/>.</summary>
    public bool KeepCrops { get; set; } = true;

    /// <summary>Qdrant connection (section Search:Qdrant).</summary>
    public QdrantStoreOptions Qdrant { get; set; } = new();

    /// <summary>Retention (section Search:Retention).</summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>Identity linking (section Search:Linking).</summary>
    public LinkingOptions Linking { get; set; } = new();

    /// <summary>Defaults of where-else queries that name none (section Search:WhereElse).</summary>
    public WhereElseDefaults WhereElse { get; set; } = new();

    /// <summary>Checks every value, naming the bad one.</summary>
    /// <exception cref="ArgumentException">A value is bad.</exception>
    /// <summary>
    /// Bytes this service keeps on its own disk for the store: every file under <see cref="Directory"/> for the
    /// embedded store, the side store's files for Qdrant (whose collections live on the Qdrant server); null when
    /// they cannot be read.
    /// </summary>
    public long? LocalStoreBytes()
    {
        try
        {
            if (string.Equals(Store, "qdrant", StringComparison.OrdinalIgnoreCase))
            {
                var side = new FileInfo(Qdrant.SideStorePath);
                return side.Directory is { Exists: true } folder
                    ? folder.EnumerateFiles(side.Name + "*").Sum(f => f.Length) // the database with its -wal and -shm
                    : 0;
            }

            var root = new DirectoryInfo(Directory);
            return root.Exists ? root.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public SearchOptions Validated()
    {
        var errors = new OptionErrors();
        Validate(errors);
        errors.ThrowIfAny();
        return this;
    }

    internal void Validate(OptionErrors errors)
    {
        const string s = SectionName;
        errors.Check(Store is "embedded" or "qdrant", $"{s}:Store", Store, "embedded or qdrant");
        if (Store == "embedded")
        {
            errors.Check(!string.IsNullOrWhiteSpace(Directory), $"{s}:Directory", Directory, "the folder of the embedded store");
        }
        else
        {
            Qdrant.Validate(errors, $"{s}:Qdrant");
        }

        Retention.Validate(errors, $"{s}:Retention");
        Linking.Validate(errors, $"{s}:Linking");
        WhereElse.Validate(errors, $"{s}:WhereElse");
    }

    /// <summary>Opens the configured store.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names its key.</exception>
    public ISightingStore OpenStore(TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        Validated();
        if (Store == "qdrant")
        {
            return QdrantSightingStore.Connect(Qdrant, timeProvider, loggerFactory);
        }

        return EmbeddedSightingStore.Open(Directory, loggerFactory?.CreateLogger<EmbeddedSightingStore>());
    }
}

/// <summary>What a where-else query uses when it names no k or minimum similarity (section Search:WhereElse).</summary>
public sealed record WhereElseDefaults
{
    /// <summary>Matches returned (key Search:WhereElse:K).</summary>
    public int K { get; set; } = 20;

    /// <summary>Lowest cosine similarity shown (key Search:WhereElse:MinSimilarity).</summary>
    public float MinSimilarity { get; set; } = 0.5f;

    internal void Validate(OptionErrors errors, string key)
    {
        errors.Check(K is >= 1 and <= 1000, $"{key}:K", K, "1 to 1000");
        errors.Check(float.IsFinite(MinSimilarity) && MinSimilarity is >= -1f and <= 1f, $"{key}:MinSimilarity", MinSimilarity, "-1 to 1 (cosine similarity)");
    }
}

/// <summary>Registers the Search stage.</summary>
public static class SearchServiceCollectionExtensions
{
    /// <summary>Binds <see cref="SearchOptions"/> from the <c>Search</c> section (unknown keys are errors) and
    /// validates it once, at start.</summary>
    public static OptionsBuilder<SearchOptions> AddSearch(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddValidatedOptions<SearchOptions>(configuration.GetSection(SearchOptions.SectionName), (o, e) => o.Validate(e));
    }

    /// <summary>
    /// Registers the stage's store over <see cref="SearchOptions"/> (bound by <see cref="AddSearch"/> or given): the
    /// configured <see cref="ISightingStore"/> (<see cref="SearchOptions.OpenStore"/>), disposed by the container.
    /// </summary>
    public static IServiceCollection AddSearchServices(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISightingStore>(sp => sp.GetRequiredService<IOptions<SearchOptions>>().Value.OpenStore(
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
        return services;
    }
}
