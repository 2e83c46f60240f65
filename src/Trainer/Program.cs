using System.CommandLine;
using ReId.Trainer.Commands;

var root = new RootCommand("reid-train: DRSA training, evaluation and site retraining for the reid encoder");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(AblationCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
