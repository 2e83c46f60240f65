namespace ReId.Ingest;

/// <summary>
/// Delays between reconnect attempts: initial * 2^attempt, capped, with +-20 % jitter so that many cameras
/// behind one failed switch do not all retry in the same instant. Never above the cap.
/// </summary>
internal sealed class ReconnectBackoff
{
    internal const double Jitter = 0.2;
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;

    /// <param name="initial">Delay before the first retry.</param>
    /// <param name="max">Cap.</param>
    /// <param name="random">Uniform [0, 1) source; tests pin it.</param>
    public ReconnectBackoff(TimeSpan initial, TimeSpan max, Func<double>? random = null)
    {
        if (initial <= TimeSpan.Zero || max < initial)
        {
            throw new ArgumentOutOfRangeException(nameof(initial), $"Back-off needs 0 < initial ({initial}) <= max ({max}).");
        }

        _initial = initial;
        _max = max;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>The delay before retry number <paramref name="attempt"/> (0 for the first retry).</summary>
    public TimeSpan Delay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        // Past 2^30 the cap has long been reached; avoid overflowing.
        var factor = Math.Pow(2, Math.Min(attempt, 30));
        var baseTicks = Math.Min(_max.Ticks, _initial.Ticks * factor);
        var jittered = baseTicks * (1 + (Jitter * ((2 * _random()) - 1)));
        return TimeSpan.FromTicks((long)Math.Min(_max.Ticks, jittered));
    }
}
