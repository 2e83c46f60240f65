using System.Diagnostics;
using System.Globalization;

namespace ReId;

/// <summary>
/// Where a long command stands: <paramref name="Done"/> of <paramref name="Total"/> (null: unknown) in
/// <paramref name="Unit"/>, what else it counted (<paramref name="Detail"/>), and the time left when the command
/// knows it better than the rate does (<paramref name="Left"/>).
/// </summary>
public readonly record struct ProgressStatus(long Done, long? Total, string Unit, string? Detail = null, TimeSpan? Left = null);

/// <summary>
/// The status line of a long command (the service's commands, the benchmarks, the trainer): on an interactive
/// terminal one line rewritten in place twice a second; when the output is redirected (logs, CI) a plain line every
/// <see cref="PlainInterval"/>. Each line gives the elapsed time, done/total, the rate, the time left where known and
/// the command's own counts. Written to standard error so that what a command prints on standard output (summaries,
/// JSON lines) stays as it was.
/// </summary>
public sealed class ProgressReporter : IDisposable, IProgress<ProgressStatus>
{
    /// <summary>How often a plain line is written when the output is not a terminal.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(500);
    private readonly string _label;
    private readonly Func<ProgressStatus> _status;
    private readonly TextWriter _output;
    private readonly bool _live;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private readonly Lock _latestGate = new();
    private bool _disposed;
    private ProgressStatus _latest;

    /// <param name="label">What is running, first on the line (e.g. <c>reid demo</c>).</param>
    /// <param name="status">Read on the timer's thread: must be safe to call while the work runs.</param>
    /// <param name="output">Standard error when null.</param>
    /// <param name="live">Rewrite one line in place; by default when <paramref name="output"/> is standard error and that is a terminal.</param>
    /// <param name="interval">Time between lines; by default half a second live, <see cref="PlainInterval"/> otherwise.</param>
    public ProgressReporter(string label, Func<ProgressStatus> status, TextWriter? output = null, bool? live = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(status);
        _label = label;
        _status = status;
        _output = output ?? Console.Error;
        _live = live ?? (output is null && !Console.IsErrorRedirected);
        var every = interval ?? (_live ? LiveInterval : PlainInterval);
        _timer = new Timer(_ => Write(final: false), null, every, every);
    }

    /// <summary>A reporter that shows what the work last gave to <see cref="Report"/> (it may call it as often as it likes).</summary>
    public ProgressReporter(string label, string unit, TextWriter? output = null, bool? live = null, TimeSpan? interval = null)
        : this(label, () => default, output, live, interval)
    {
        _latest = new ProgressStatus(0, null, unit);
        _status = () =>
        {
            lock (_latestGate)
            {
                return _latest;
            }
        };
    }

    /// <summary>Where the work stands now; shown at the next tick.</summary>
    public void Report(ProgressStatus value)
    {
        lock (_latestGate)
        {
            _latest = value;
        }
    }

    /// <summary>The line for <paramref name="status"/> after <paramref name="elapsed"/>, as the reporter writes it.</summary>
    public static string Format(string label, ProgressStatus status, TimeSpan elapsed)
    {
        var line = new System.Text.StringBuilder();
        var c = CultureInfo.InvariantCulture;
        line.Append(c, $"{label} {Clock(elapsed)} | ");
        line.Append(status.Total is { } total and > 0
            ? string.Create(c, $"{status.Done}/{total} {status.Unit} ({100.0 * status.Done / total:0}%)")
            : string.Create(c, $"{status.Done} {status.Unit}"));
        double seconds = elapsed.TotalSeconds;
        if (seconds > 0 && status.Done > 0)
        {
            double rate = status.Done / seconds;
            line.Append(c, $" | {rate:0.0} {status.Unit}/s");
            var left = status.Left ?? (status.Total is { } t && t >= status.Done ? TimeSpan.FromSeconds((t - status.Done) / rate) : (TimeSpan?)null);
            if (left is { } l)
            {
                line.Append(c, $" | {Clock(l)} left");
            }
        }
        else if (status.Left is { } l)
        {
            line.Append(c, $" | {Clock(l)} left");
        }

        if (!string.IsNullOrEmpty(status.Detail))
        {
            line.Append(" | ").Append(status.Detail);
        }

        return line.ToString();
    }

    /// <summary>Writes the last line (live: ends it, so what follows starts on a line of its own) and stops.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        Write(final: true);
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes:00}:{t.Seconds:00}");

    private void Write(bool final)
    {
        lock (_gate)
        {
            if (_disposed || (final && !_live))
            {
                _disposed |= final;
                return;
            }

            _disposed = final;
            string line;
            try
            {
                line = Format(_label, _status(), _clock.Elapsed);
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                // the work's counters went away between two ticks: nothing to show
                return;
            }

            if (_live)
            {
                // carriage return and erase-to-end-of-line: the line is rewritten in place
                _output.Write($"\r{line}\u001b[K{(final ? Environment.NewLine : "")}");
            }
            else
            {
                _output.WriteLine(line);
            }

            _output.Flush();
        }
    }
}
