using Qdrant.Client;

namespace ReId.Search.Tests;

/// <summary>The behaviour suite against a real Qdrant server, when QDRANT_URL (its gRPC address) is set.</summary>
[TestFixture]
public sealed class QdrantSightingStoreTests : SightingStoreContract
{
    private QdrantStoreOptions? _options;

    protected override Task<ISightingStore> CreateAsync()
    {
        var url = Environment.GetEnvironmentVariable("QDRANT_URL");
        if (string.IsNullOrWhiteSpace(url))
        {
            Assert.Ignore("QDRANT_URL is not set: no Qdrant server to test against (set it to the gRPC address, e.g. http://localhost:6334).");
        }

        _options = new QdrantStoreOptions
        {
            Url = new Uri(url!),
            ApiKey = Environment.GetEnvironmentVariable("QDRANT_API_KEY"),
            CollectionPrefix = "reidtest_" + Guid.NewGuid().ToString("N")[..12],
            SideStorePath = Path.Combine(Path.GetTempPath(), "reid-search-tests", Guid.NewGuid().ToString("N"), "side.db"),
        };
        return Task.FromResult<ISightingStore>(QdrantSightingStore.Connect(_options));
    }

    protected override async Task<ISightingStore> ReopenAsync(ISightingStore store)
    {
        await store.DisposeAsync();
        return QdrantSightingStore.Connect(_options!);
    }

    protected override async Task CleanUpAsync()
    {
        if (_options is null)
        {
            return;
        }

        using (var client = new QdrantClient(_options.Url, _options.ApiKey))
        {
            foreach (var name in await client.ListCollectionsAsync())
            {
                if (name.StartsWith(_options.CollectionPrefix, StringComparison.Ordinal))
                {
                    await client.DeleteCollectionAsync(name);
                }
            }
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(_options.SideStorePath)!, recursive: true);
        _options = null;
    }
}
