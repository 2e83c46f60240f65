using System.CommandLine;
using ReId.Benchmarks;
using ReId.Host.Commands;

var root = new RootCommand("reid-bench: benchmarks of the reid service's stages, each against its raw baseline in the same run (one JSON line at the end), and the tracking evaluation")
{
    BenchIngestCommand.Create(),
    BenchDetectCommand.Create(),
    BenchTrackCommand.Create(),
    BenchEncodeCommand.Create(),
    BenchSearchCommand.Create(),
    BenchRankCommand.Create(),
    BenchPipelineCommand.Create(),
    EvalTrackingCommand.Create(),
};

// Ctrl+C and SIGTERM stop a benchmark as they stop the service.
using var shutdown = new ShutdownSignal();
ShutdownSignal.Current = shutdown;
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, shutdown.Token).ConfigureAwait(false);
