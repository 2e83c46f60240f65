using System.CommandLine;
using ReId.Host.Commands;

var root = new RootCommand("reid: real-time cross-camera person re-identification");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ProcessCommand.Create());
root.Subcommands.Add(QueryCommand.Create());
root.Subcommands.Add(ConfigCommand.Create());
// The benchmarks and the tracking evaluation are the separate reid-bench program (benchmarks/).

// Ctrl+C and SIGTERM: a graceful stop within Pipeline:ShutdownTimeout, not System.CommandLine's fixed 2 s.
using var shutdown = new ShutdownSignal();
ShutdownSignal.Current = shutdown;
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, shutdown.Token).ConfigureAwait(false);
