namespace ReId.Search;

/// <summary>Configuration of the Qdrant store (section Search:Qdrant).</summary>
public sealed record QdrantStoreOptions
{
    /// <summary>The gRPC address of Qdrant, e.g. http://localhost:6334 (key Search:Qdrant:Url).</summary>
    public Uri Url { get; set; } = new("http://localhost:6334");

    /// <summary>API key, when the server asks for one (key Search:Qdrant:ApiKey); never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Collections are named {prefix}__{model version}_{hash} (key Search:Qdrant:CollectionPrefix).</summary>
    public string CollectionPrefix { get; set; } = "reid_sightings";

    /// <summary>Points per upsert request (key Search:Qdrant:UpsertBatchSize).</summary>
    public int UpsertBatchSize { get; set; } = 256;

    /// <summary>Retries of a request that failed transiently (key Search:Qdrant:Retries).</summary>
    public int Retries { get; set; } = 4;

    /// <summary>First retry delay; doubles each time (key Search:Qdrant:RetryDelay).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Deadline of one request (key Search:Qdrant:Timeout).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Local SQLite file for kept crops and link feedback (key Search:Qdrant:SideStorePath).</summary>
    public string SideStorePath { get; set; } = "data/search/qdrant-side.db";

    /// <summary>Checks the values, naming the bad one.</summary>
    /// <exception cref="ArgumentException">A value is bad.</exception>
    public QdrantStoreOptions Validated()
    {
        var errors = new OptionErrors();
        Validate(errors, "Search:Qdrant");
        errors.ThrowIfAny();
        return this;
    }

    internal void Validate(OptionErrors errors, string key)
    {
        errors.Check(Url is { IsAbsoluteUri: true } && (Url.Scheme == Uri.UriSchemeHttp || Url.Scheme == Uri.UriSchemeHttps),
            $"{key}:Url", Url, "the gRPC address as http(s)://host:6334");
        errors.Check(!string.IsNullOrWhiteSpace(CollectionPrefix) && CollectionPrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'),
            $"{key}:CollectionPrefix", CollectionPrefix, "letters, digits, '_' and '-'");
        errors.Check(UpsertBatchSize is >= 1 and <= 10_000, $"{key}:UpsertBatchSize", UpsertBatchSize, "1 to 10000");
        errors.Check(Retries is >= 0 and <= 20, $"{key}:Retries", Retries, "0 to 20");
        errors.Check(RetryDelay >= TimeSpan.Zero, $"{key}:RetryDelay", RetryDelay, "zero or a positive time span");
        errors.Check(Timeout > TimeSpan.Zero, $"{key}:Timeout", Timeout, "a positive time span");
        errors.Check(!string.IsNullOrWhiteSpace(SideStorePath), $"{key}:SideStorePath", SideStorePath, "a local file for kept crops and link feedback");
    }
}
