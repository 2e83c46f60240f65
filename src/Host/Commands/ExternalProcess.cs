using System.Diagnostics;

namespace ReId.Host.Commands;

/// <summary>Runs a helper program (ffmpeg) to its end; killed on cancellation; a failure names its exit code and error output.</summary>
internal static class ExternalProcess
{
    public static async Task RunAsync(string program, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
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

        await stdout.ConfigureAwait(false);
        var error = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed (exit {process.ExitCode}): {error.Trim()}");
        }
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

/// <summary>GStreamer's RTSP server (tools/rtsp-server.py under /usr/bin/python3) serving one file as N cameras on loopback.</summary>
internal sealed class RtspServer : IAsyncDisposable
{
    private readonly Process _process;

    private RtspServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static string Script()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "tools", "rtsp-server.py");
        if (File.Exists(beside))
        {
            return beside;
        }

        var root = CommandSupport.RepoRoot();
        var inRepo = root is null ? null : Path.Combine(root, "tools", "rtsp-server.py");
        return inRepo is not null && File.Exists(inRepo)
            ? inRepo
            : throw new FileNotFoundException($"tools/rtsp-server.py was found neither beside the program ({beside}) nor in the repository");
    }

    public static async Task<RtspServer> StartAsync(string video, int mounts, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Script(), "--port", "0", "--video", video, "--mounts", mounts.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }

        var process = ExternalProcess.Start(info, "the RTSP server (/usr/bin/python3 with python3-gi and gir1.2-gst-rtsp-server-1.0)");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            if (line is null || !line.StartsWith("READY ", StringComparison.Ordinal))
            {
                var error = await process.StandardError.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
                throw new InvalidOperationException($"the RTSP server did not start: {line} {error.Trim()}");
            }

            _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
            return new RtspServer(process, int.Parse(line[6..], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or its pipes linger after the kill.
        }

        _process.Dispose();
    }
}
