using System.Diagnostics;

namespace ReId.Host.Commands;

/// <summary>Runs a helper program (ffmpeg) to its end; killed on cancellation; a failure names its exit code and error output.</summary>
internal static class ExternalProcess
{
    /// <summary>Runs <paramref name="program"/> to its end; returns what it wrote on standard output.</summary>
    public static async Task<string> RunAsync(string program, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Start(info, program);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout.ConfigureAwait(false);
        var error = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed (exit {process.ExitCode}): {error.Trim()}");
        }

        return output;
    }

    public static Process Start(ProcessStartInfo info, string what)
    {
        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException($"{what} could not be started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{what} could not be started ({info.FileName}: {e.Message}); is it installed?", e);
        }
    }
}
