using System.Diagnostics;

namespace ReId.Search.Tests;

[TestFixture]
public sealed class EmbeddedCrashTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task Reopen_AfterWriterKilled_KeepsEverySightingReportedStored(CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "reid-search-tests", "crash-" + Guid.NewGuid().ToString("N"));
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", typeof(Program).Assembly.Location, "crash-writer", directory })
        {
            start.ArgumentList.Add(arg);
        }

        var reported = new List<Guid>();
        using (var writer = Process.Start(start) ?? throw new InvalidOperationException("the crash writer did not start"))
        {
            try
            {
                while (reported.Count < 300)
                {
                    var line = await writer.StandardOutput.ReadLineAsync(cancellationToken);
                    if (line is null)
                    {
                        Assert.Fail("the crash writer ended early: " + await writer.StandardError.ReadToEndAsync(cancellationToken));
                    }

                    if (line!.StartsWith("stored ", StringComparison.Ordinal))
                    {
                        reported.Add(Guid.Parse(line.AsSpan(7)));
                    }
                }
            }
            finally
            {
                // SIGKILL, in the middle of its next transaction: no shutdown code runs.
                writer.Kill(entireProcessTree: true);
                await writer.WaitForExitAsync(cancellationToken);
            }

            Assert.That(writer.ExitCode, Is.Not.Zero);
        }

        try
        {
            await using var store = EmbeddedSightingStore.Open(directory);
            var count = await store.CountAsync(cancellationToken: cancellationToken);
            Assert.That(count, Is.GreaterThanOrEqualTo(reported.Count));
            foreach (var id in reported)
            {
                Assert.That(await store.GetAsync(id, cancellationToken), Is.Not.Null, $"sighting {id} was reported stored");
            }

            var last = (await store.GetAsync(reported[^1], cancellationToken))!;
            var hits = await store.SearchAsync(new SightingQuery(last.ModelVersion, last.Embedding) { K = 3 }, cancellationToken);
            Assert.That(hits, Has.Count.EqualTo(3));

            // It takes writes again without any repair step.
            var syn = new Synthetic(99);
            await store.AddAsync([syn.Sighting("after", 1, 0, syn.Person())], cancellationToken);
            Assert.That(await store.CountAsync(cancellationToken: cancellationToken), Is.EqualTo(count + 1));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
