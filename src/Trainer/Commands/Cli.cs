using System.CommandLine;

namespace ReId.Trainer.Commands;

/// <summary>The reid-train command line.</summary>
internal static class Cli
{
    public static RootCommand Create()
    {
        var root = new RootCommand("reid-train: DRSA training, evaluation and site retraining for the reid encoder");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(AblationCommand.Create());
        root.Subcommands.Add(PackCommands.Pack());
        root.Subcommands.Add(PackCommands.Curve());
        return root;
    }
}
