using Microsoft.Extensions.Logging;

namespace ReId.Search;

/// <summary>Configuration section Search: which store, where, and its parts.</summary>
public sealed record SearchOptions
{
    /// <summary>"embedded" (default) or "qdrant" (key Search:Store).</summary>
    public string Store { get; init; } = "embedded";

    /// <summary>Folder of the embedded store (key Search:Directory).</summary>
    public string Directory { get; init; } = "data/search";

    /// <summary>Qdrant connection (section Search:Qdrant).</summary>
    public QdrantStoreOptions Qdrant { get; init; } = new();

    /// <summary>Retention (section Search:Retention).</summary>
    public RetentionOptions Retention { get; init; } = new();

    /// <summary>Identity linking (section Search:Linking).</summary>
    public LinkingOptions Linking { get; init; } = new();

    /// <summary>Opens the configured store.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names its key.</exception>
    public ISightingStore OpenStore(TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        Retention.Validated();
        Linking.Validated();
        return Store switch
        {
            "embedded" when !string.IsNullOrWhiteSpace(Directory) => EmbeddedSightingStore.Open(Directory, loggerFactory?.CreateLogger<EmbeddedSightingStore>()),
            "embedded" => throw new ArgumentException("Search:Directory is empty; name the folder of the embedded store."),
            "qdrant" => QdrantSightingStore.Connect(Qdrant, timeProvider, loggerFactory),
            _ => throw new ArgumentException($"Search:Store is '{Store}'; use 'embedded' or 'qdrant'."),
        };
    }
}
