using System.Diagnostics;
using System.Globalization;

namespace ReId.Tests;

/// <summary>
/// Debian's GStreamer RTSP server (tools/rtsp-server.py under /usr/bin/python3 with python3-gi and
/// gir1.2-gst-rtsp-server-1.0) on loopback: /cam0.. serve a video, /pattern a live test pattern. Started once
/// it says READY; killed with its children when disposed.
/// </summary>
public sealed class RtspServer : IAsyncDisposable, IDisposable
{
    private readonly Process _process;

    private RtspServer(Process process, int port, Task<string> errors)
    {
        _process = process;
        Port = port;
        Errors = errors;
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>The process id (for tests that watch it).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Its error output, complete once it exited.</summary>
    public Task<string> Errors { get; }

    /// <summary>Completes when the server exits (killed, or dead by itself).</summary>
    public Task Exited => _process.WaitForExitAsync();

    /// <summary>The URL of one mount.</summary>
    public string Url(string path) => $"rtsp://127.0.0.1:{Port}/{path.TrimStart('/')}";

    /// <summary>tools/rtsp-server.py beside the program (this project copies it there), else in the repository.</summary>
    /// <exception cref="FileNotFoundException">it is in neither place.</exception>
    public static string Script()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "tools", "rtsp-server.py");
        if (File.Exists(beside))
        {
            return beside;
        }

        var inRepo = RepoPaths.RootOrNull is { } root ? Path.Combine(root, "tools", "rtsp-server.py") : null;
        return inRepo is not null && File.Exists(inRepo)
            ? inRepo
            : throw new FileNotFoundException($"tools/rtsp-server.py was found neither beside the program ({beside}) nor in the repository");
    }

    /// <summary>Serves <paramref name="video"/> (H.264 or anything GStreamer decodes) as /cam0../cam{mounts-1} on a free port.</summary>
    public static Task<RtspServer> StartAsync(string video, int mounts, CancellationToken cancellationToken = default) =>
        StartAsync(0, video, mounts, pattern: false, cancellationToken);

    /// <summary>
    /// Starts the server on <paramref name="port"/> (0: a free one): <paramref name="video"/> as /cam0.. when given,
    /// and the live /pattern mount when <paramref name="pattern"/>.
    /// </summary>
    /// <param name="credentials">"user:password" every mount then asks for (RTSP digest authentication); null: none.</param>
    /// <exception cref="InvalidOperationException">the server could not start; the message has its error output.</exception>
    public static async Task<RtspServer> StartAsync(
        int port, string? video, int mounts, bool pattern, CancellationToken cancellationToken = default, string? credentials = null)
    {
        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(Script());
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        if (video is not null)
        {
            info.ArgumentList.Add("--video");
            info.ArgumentList.Add(video);
            info.ArgumentList.Add("--mounts");
            info.ArgumentList.Add(mounts.ToString(CultureInfo.InvariantCulture));
        }

        if (pattern)
        {
            info.ArgumentList.Add("--pattern");
        }

        if (credentials is not null)
        {
            info.ArgumentList.Add("--auth");
            info.ArgumentList.Add(credentials);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("the RTSP server could not be started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"the RTSP server could not be started (/usr/bin/python3: {e.Message}); see setup.sh", e);
        }

        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                line = null;
            }

            if (line is null || !line.StartsWith("READY ", StringComparison.Ordinal))
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"the RTSP server did not start (needs /usr/bin/python3 with python3-gi and gir1.2-gst-rtsp-server-1.0, see setup.sh): {line} {(await errors.ConfigureAwait(false)).Trim()}");
            }

            return new RtspServer(process, int.Parse(line[6..], CultureInfo.InvariantCulture), errors);
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server at once (SIGKILL), as a crashed camera would vanish, and waits for it to go.</summary>
    public async Task KillAsync()
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
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
