using System.CommandLine;
using ReId.Host.Commands;

var root = new RootCommand("reid: real-time cross-camera person re-identification");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(EvalTrackingCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ProcessCommand.Create());
root.Subcommands.Add(QueryCommand.Create());
BenchCommand.AddSubcommand(root, BenchIngestCommand.Create());
BenchCommand.AddSubcommand(root, BenchSearchCommand.Create());
BenchCommand.AddSubcommand(root, BenchDetectCommand.Create());
BenchCommand.AddSubcommand(root, BenchTrackCommand.Create());
BenchCommand.AddSubcommand(root, BenchEncodeCommand.Create());
BenchCommand.AddSubcommand(root, BenchRankCommand.Create());
BenchCommand.AddSubcommand(root, BenchPipelineCommand.Create());

// Ctrl+C and SIGTERM: a graceful stop within Pipeline:ShutdownTimeout, not System.CommandLine's fixed 2 s.
using var shutdown = new ShutdownSignal();
ShutdownSignal.Current = shutdown;
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, shutdown.Token).ConfigureAwait(false);
