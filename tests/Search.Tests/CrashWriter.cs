namespace ReId.Search.Tests;

/// <summary>
/// Entry point of this assembly when run as a program: <c>crash-writer DIR</c> stores sightings one small batch at
/// a time into an embedded store in DIR and prints "stored ID" after each batch is reported stored, until it is
/// killed. The crash test runs it, kills it with SIGKILL and checks every reported sighting survived.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["crash-writer", var directory])
        {
            await Console.Error.WriteLineAsync("usage: crash-writer DIR").ConfigureAwait(false);
            return 2;
        }

        var synthetic = new Synthetic(7);
        var person = synthetic.Person();
        await using var store = EmbeddedSightingStore.Open(directory);
        await Console.Out.WriteLineAsync("ready").ConfigureAwait(false);
        await Console.Out.FlushAsync().ConfigureAwait(false);
        for (var i = 0; i < 1_000_000; i++)
        {
            var batch = Enumerable.Range(0, 1 + (i % 3))
                .Select(j => synthetic.Sighting($"cam{j}", i, i * 0.1, synthetic.View(person)))
                .ToList();
            await store.AddAsync(batch).ConfigureAwait(false);
            foreach (var s in batch)
            {
                await Console.Out.WriteLineAsync($"stored {s.Id}").ConfigureAwait(false);
            }

            await Console.Out.FlushAsync().ConfigureAwait(false);
        }

        return 0;
    }
}
