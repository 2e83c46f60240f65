using ReId.Trainer.Commands;

return await Cli.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
