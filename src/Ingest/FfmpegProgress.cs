using System.Globalization;

namespace ReId.Ingest;

/// <summary>Reads ffmpeg's <c>-progress</c> output (key=value lines, a block per report ending with <c>progress=</c>). Pure.</summary>
internal sealed class FfmpegProgress
{
    private long _pendingFrames;

    /// <summary>Frames output as of the last complete report.</summary>
    public long Frames { get; private set; }

    /// <summary>True once ffmpeg reported <c>progress=end</c>.</summary>
    public bool Ended { get; private set; }

    /// <summary>Takes one line; true when it completed a report (Frames is then up to date).</summary>
    public bool Add(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var eq = line.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            return false;
        }

        var key = line.AsSpan(0, eq).Trim();
        var value = line.AsSpan(eq + 1).Trim();
        if (key.SequenceEqual("frame") && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var frames))
        {
            _pendingFrames = frames;
            return false;
        }

        if (!key.SequenceEqual("progress"))
        {
            return false;
        }

        Frames = _pendingFrames;
        Ended |= value.SequenceEqual("end");
        return true;
    }
}
