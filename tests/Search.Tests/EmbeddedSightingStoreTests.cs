namespace ReId.Search.Tests;

[TestFixture]
public sealed class EmbeddedSightingStoreTests : SightingStoreContract
{
    private string _directory = "";

    protected override Task<ISightingStore> CreateAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "reid-search-tests", Guid.NewGuid().ToString("N"));
        return Task.FromResult<ISightingStore>(EmbeddedSightingStore.Open(_directory));
    }

    protected override async Task<ISightingStore> ReopenAsync(ISightingStore store)
    {
        await store.DisposeAsync();
        return EmbeddedSightingStore.Open(_directory);
    }

    protected override Task CleanUpAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }
}
