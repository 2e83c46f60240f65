namespace ReId.Search.Tests;

/// <summary>The embedded store on a real small disk (tmpfs): full, then freed; read-only at open.</summary>
[NonParallelizable]
public sealed class EmbeddedStoreDiskFaultTests
{
    private static SmallDisk Mount(int megabytes)
    {
        var (disk, whyNot) = SmallDisk.TryMount(megabytes);
        Assume.That(disk, Is.Not.Null, whyNot);
        return disk!;
    }

    [Test]
    public async Task AddAsync_DiskFull_FailsWithoutLosingWhatIsStoredAndWorksOnceSpaceReturns()
    {
        using var disk = Mount(8);
        var data = new Synthetic(5);
        var person = data.Person();
        var store = EmbeddedSightingStore.Open(Path.Combine(disk.Path, "store"));
        try
        {
            var before = data.Sighting("a", 1, 0, data.View(person));
            await store.AddAsync([before]);
            disk.Fill();

            // Big enough to need new pages (the thumbnails table) whatever SQLite keeps free.
            var big = data.Sighting("a", 2, 1, data.View(person)) with { Thumbnail = new byte[256 * 1024] };
            var full = await Assert.CatchAsync(() => store.AddAsync([big]));
            Assert.That(full!.Message, Does.Contain("full").IgnoreCase, "SQLite Error 13: database or disk is full");

            Assert.That(await store.CountAsync(), Is.EqualTo(1), "the failed batch is not in memory");
            Assert.That(await store.GetAsync(before.Id), Is.Not.Null, "what was stored is still answered");
            Assert.That(await store.GetAsync(big.Id), Is.Null);
            var hits = await store.SearchAsync(new SightingQuery(Synthetic.Model, person) { K = 5 });
            Assert.That(hits.Select(h => h.SightingId), Is.EqualTo(new[] { before.Id }));

            disk.Free();
            await store.AddAsync([big]);
            Assert.That(await store.CountAsync(), Is.EqualTo(2));
        }
        finally
        {
            await store.DisposeAsync();
        }

        // Nothing half-written: it opens again with both.
        var reopened = EmbeddedSightingStore.Open(Path.Combine(disk.Path, "store"));
        Assert.That(await reopened.CountAsync(), Is.EqualTo(2));
        await reopened.DisposeAsync();
    }

    [Test]
    public async Task Open_ReadOnlyFolder_IsRefusedNamingTheFolderAndTheKey()
    {
        using var disk = Mount(4);
        var folder = Path.Combine(disk.Path, "store");
        var store = EmbeddedSightingStore.Open(folder);
        await store.DisposeAsync();
        disk.SetReadOnly(true);

        var e = Assert.Throws<SightingStoreException>(() => EmbeddedSightingStore.Open(folder));
        Assert.That(e!.Message, Does.Contain(folder).And.Contain("cannot be written").And.Contain("Search:Directory"));

        var missing = Path.Combine(disk.Path, "never-made");
        e = Assert.Throws<SightingStoreException>(() => EmbeddedSightingStore.Open(missing));
        Assert.That(e!.Message, Does.Contain(missing).And.Contain("Search:Directory"));
    }
}
