using System.Runtime.InteropServices;

namespace ReId.Host.Commands;

/// <summary>
/// Ctrl+C, SIGINT and SIGTERM stop the running command gracefully: <see cref="Token"/> is cancelled, the command
/// stops its cameras and closes its stores, and returns. One that has not returned within <see cref="Timeout"/>
/// (Pipeline:ShutdownTimeout, set by the command once its configuration is read) is ended with exit code 1, so a
/// stop never hangs. System.CommandLine's own handling (a fixed 2 s) is switched off in Program.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly TimeProvider _time;
    private readonly Action<TimeSpan> _giveUp;
    private ITimer? _watchdog;
    private int _requested;

    /// <param name="giveUp">called when the stop took longer than <see cref="Timeout"/>; null: print why and exit 1.</param>
    /// <param name="time">the clock of the timeout.</param>
    /// <param name="listen">false: no signal handlers (tests call <see cref="Request"/>).</param>
    public ShutdownSignal(Action<TimeSpan>? giveUp = null, TimeProvider? time = null, bool listen = true)
    {
        _time = time ?? TimeProvider.System;
        _giveUp = giveUp ?? (timeout =>
        {
            Console.Error.WriteLine($"reid: the service did not stop within {timeout} (Pipeline:ShutdownTimeout); exiting");
            Environment.Exit(1);
        });
        if (listen)
        {
            foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT })
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    // The process stays: the command stops itself.
                    context.Cancel = true;
                    Request();
                }));
            }
        }
    }

    /// <summary>The one that is in use by the running command, if any.</summary>
    public static ShutdownSignal? Current { get; set; }

    /// <summary>Cancelled when a stop is asked for.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Time a stop may take once asked for.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Asks the command to stop; the watchdog starts. A second request gives up at once.</summary>
    public void Request()
    {
        if (Interlocked.Increment(ref _requested) > 1)
        {
            _giveUp(TimeSpan.Zero);
            return;
        }

        _watchdog = _time.CreateTimer(_ => _giveUp(Timeout), null, Timeout, System.Threading.Timeout.InfiniteTimeSpan);
        _stop.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }

        _watchdog?.Dispose();
        _stop.Dispose();
    }
}
