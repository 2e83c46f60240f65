using System.CommandLine;
using ReId.Host.Commands;

var root = new RootCommand("reid: real-time cross-camera person re-identification");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(new Command("bench", "Measure the stages; each run ends with one JSON line.") { BenchEncodeCommand.Create(), BenchRankCommand.Create() });
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
