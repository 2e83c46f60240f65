namespace ReId.Search;

/// <summary>Configuration of the Qdrant store (section Search:Qdrant).</summary>
public sealed record QdrantStoreOptions
{
    /// <summary>The gRPC address of Qdrant, e.g. http://localhost:6334 (key Search:Qdrant:Url).</summary>
    public Uri Url { get; init; } = new("http://localhost:6334");

    /// <summary>API key, when the server asks for one (key Search:Qdrant:ApiKey); never logged.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Collections are named {prefix}__{model version}_{hash} (key Search:Qdrant:CollectionPrefix).</summary>
    public string CollectionPrefix { get; init; } = "reid_sightings";

    /// <summary>Points per upsert request (key Search:Qdrant:UpsertBatchSize).</summary>
    public int UpsertBatchSize { get; init; } = 256;

    /// <summary>Retries of a request that failed transiently (key Search:Qdrant:Retries).</summary>
    public int Retries { get; init; } = 4;

    /// <summary>First retry delay; doubles each time (key Search:Qdrant:RetryDelay).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Deadline of one request (key Search:Qdrant:Timeout).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Local SQLite file for kept crops and link feedback (key Search:Qdrant:SideStorePath).</summary>
    public string SideStorePath { get; init; } = "data/search/qdrant-side.db";

    /// <summary>Checks the values, naming the bad one.</summary>
    public QdrantStoreOptions Validated()
    {
        if (Url is null || !Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Search:Qdrant:Url is '{Url}'; give the gRPC address as http(s)://host:6334.");
        }

        if (string.IsNullOrWhiteSpace(CollectionPrefix) || CollectionPrefix.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-'))
        {
            throw new ArgumentException($"Search:Qdrant:CollectionPrefix is '{CollectionPrefix}'; use letters, digits, '_' and '-'.");
        }

        if (UpsertBatchSize is < 1 or > 10_000)
        {
            throw new ArgumentException($"Search:Qdrant:UpsertBatchSize is {UpsertBatchSize}; it must be between 1 and 10000.");
        }

        if (Retries is < 0 or > 20)
        {
            throw new ArgumentException($"Search:Qdrant:Retries is {Retries}; it must be between 0 and 20.");
        }

        if (RetryDelay < TimeSpan.Zero || Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Search:Qdrant:RetryDelay ({RetryDelay}) must not be negative and Search:Qdrant:Timeout ({Timeout}) must be positive.");
        }

        if (string.IsNullOrWhiteSpace(SideStorePath))
        {
            throw new ArgumentException("Search:Qdrant:SideStorePath is empty; name a local file for kept crops and link feedback.");
        }

        return this;
    }
}
