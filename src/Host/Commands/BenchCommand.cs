using System.CommandLine;

namespace ReId.Host.Commands;

/// <summary>
/// <c>reid bench</c>: the parent of the benchmarks (<c>reid bench ingest</c>, ...). Each benchmark measures a stage
/// against its raw baseline in the same run, prints its figures and ends with one JSON line.
/// </summary>
internal static class BenchCommand
{
    public const string Name = "bench";

    /// <summary>Adds a benchmark under <c>reid bench</c>, creating the parent on first use.</summary>
    public static void AddSubcommand(RootCommand root, Command benchmark)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(benchmark);
        var bench = root.Subcommands.FirstOrDefault(c => c.Name == Name);
        if (bench is null)
        {
            bench = new Command(Name, "Benchmarks: each measures a stage against its raw baseline and ends with one JSON line.");
            root.Subcommands.Add(bench);
        }

        bench.Subcommands.Add(benchmark);
    }
}
