using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace ReId.Ingest;

/// <summary>
/// The one place an ffmpeg process is started and ended. Stdout is the data; stderr lines go to a callback.
/// Disposing kills the process if it still runs and waits (at most a second) for it to be gone, so no ffmpeg
/// outlives its owner: on success, on failure and on cancellation alike.
/// </summary>
internal sealed partial class FfmpegProcess : IAsyncDisposable
{
    internal static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(1);
    private const int PipeBytes = 1 << 20;
    private readonly Process _process;
    private readonly Task _stderrPump;

    private FfmpegProcess(Process process, Action<string> onStderrLine)
    {
        _process = process;
        Id = process.Id;
        Output = process.StandardOutput.BaseStream;
        EnlargePipe(Output);
        _stderrPump = PumpStderrAsync(process.StandardError, onStderrLine);
    }

    public int Id { get; }

    /// <summary>ffmpeg's stdout.</summary>
    public Stream Output { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts ffmpeg with the given arguments (no shell: each argument is passed as is).</summary>
    /// <exception cref="FfmpegNotFoundException">The program could not be started.</exception>
    public static FfmpegProcess Start(string ffmpegPath, IEnumerable<string> arguments, Action<string> onStderrLine)
    {
        var info = new ProcessStartInfo(ffmpegPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // ffmpeg reads commands ('q') from stdin; give it its own pipe rather than ours.
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new FfmpegNotFoundException($"ffmpeg could not be started as '{ffmpegPath}': {e.Message}. Install ffmpeg or set FfmpegPath.", e);
        }

        return new FfmpegProcess(process, onStderrLine);
    }

    /// <summary>Waits for ffmpeg to exit by itself (its output has ended); kills it if it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(ExitWait, CancellationToken.None).ConfigureAwait(false);
        }

        // Let the last stderr lines (the reason it stopped) arrive before the caller reads them.
        await _stderrPump.WaitAsync(ExitWait, CancellationToken.None).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>CPU time (user + system) used so far; null once the process is gone.</summary>
    public TimeSpan? TryGetCpuTime()
    {
        try
        {
            return _process.TotalProcessorTime;
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Kills ffmpeg now; safe to call at any time, from any thread.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Exiting while being killed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(ExitWait, CancellationToken.None).ConfigureAwait(false);
            await _stderrPump.WaitAsync(ExitWait, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // SIGKILL was sent; the kernel reaps it. Nothing more can be done here.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static async Task PumpStderrAsync(StreamReader stderr, Action<string> onLine)
    {
        try
        {
            while (await stderr.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                onLine(line);
            }
        }
        catch (IOException)
        {
            // The pipe closed under a killed process.
        }
        catch (ObjectDisposedException)
        {
            // Disposed while reading.
        }
    }

    /// <summary>
    /// A frame is hundreds of kilobytes; Linux pipes hold 64 KiB by default, so every frame would cost a dozen
    /// wake-ups of both processes. A 1 MiB pipe keeps ffmpeg writing while the reader copies. Best effort.
    /// </summary>
    private static void EnlargePipe(Stream stream)
    {
        if (!OperatingSystem.IsLinux() || stream is not PipeStream pipe)
        {
            return;
        }

        const int setPipeSize = 1031; // F_SETPIPE_SZ
        _ = Fcntl((int)pipe.SafePipeHandle.DangerousGetHandle(), setPipeSize, PipeBytes);
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}

/// <summary>The ffmpeg program could not be started.</summary>
public sealed class FfmpegNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FfmpegNotFoundException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public FfmpegNotFoundException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public FfmpegNotFoundException(string message) : base(message)
    {
    }
}
