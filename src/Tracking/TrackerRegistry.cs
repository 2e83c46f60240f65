namespace ReId.Tracking;

/// <summary>Creates trackers by name.</summary>
public static class TrackerRegistry
{
    private static readonly string[] KnownNames = ["bytetrack"];

    /// <summary>The valid tracker names.</summary>
    public static IReadOnlyList<string> Names => KnownNames;

    /// <summary>A new tracker for one camera; its track ids start at 1 and are never reused.</summary>
    /// <exception cref="ArgumentException">an unknown name (the message lists the valid ones) or a bad setting.</exception>
    public static ITracker Create(string cameraId, TrackerOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cameraId);
        ArgumentNullException.ThrowIfNull(options);
        if (!KnownNames.Contains(options.Tracker))
        {
            throw new ArgumentException(
                $"Tracking:Tracker = '{options.Tracker}' is unknown; valid names: {string.Join(", ", KnownNames)}.");
        }

        options.Validate();
        return new ByteTracker(cameraId, options);
    }
}
