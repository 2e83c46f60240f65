using System.CommandLine;
using ReId.Host.Commands;

var root = new RootCommand("reid: real-time cross-camera person re-identification");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(EvalTrackingCommand.Create());
var bench = new Command("bench", "Measure the stages' speed; each ends with one JSON line.");
root.Subcommands.Add(bench);
bench.Subcommands.Add(BenchDetectCommand.Create());
bench.Subcommands.Add(BenchTrackCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
