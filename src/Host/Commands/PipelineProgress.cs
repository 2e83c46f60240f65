using System.Globalization;
using ReId.Host.Pipeline;
using ReId.Ingest;

namespace ReId.Host.Commands;

/// <summary>The status line of a command that runs the pipeline: frames, frames a second, tracklets, sightings, time left.</summary>
internal static class PipelineProgress
{
    /// <summary>
    /// Starts the line for <paramref name="service"/>'s pipeline; <paramref name="totalFrames"/> (all cameras) gives
    /// the time left, null where it is not known (live cameras, a file ffprobe could not read).
    /// </summary>
    public static ProgressReporter Start(string label, ReidService service, long? totalFrames) =>
        new(label, () => Status(service.Pipeline.Metrics, totalFrames));

    public static ProgressStatus Status(PipelineMetrics m, long? totalFrames) => new(
        m.Ingest.In, totalFrames, "frames",
        string.Create(CultureInfo.InvariantCulture,
            $"{m.DetectedFrames.Values.Sum()} detected, {m.Tracklets.Values.Sum()} tracklets, {m.Sightings.Values.Sum()} sightings"));

    /// <summary>
    /// The frames the file cameras will deliver (each file's duration times its camera's rate, by ffprobe); null when
    /// a camera is live or a file's duration cannot be read.
    /// </summary>
    public static async Task<long?> FileFramesAsync(IEnumerable<CameraOptions> cameras, CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var c in cameras)
        {
            if (c.IsLive || c.Loop)
            {
                return null;
            }

            string output;
            try
            {
                output = await ExternalProcess.RunAsync("ffprobe",
                    ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", c.Url], cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                return null;
            }

            if (!double.TryParse(output.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
            {
                return null;
            }

            total += (long)Math.Round(seconds * c.Fps);
        }

        return total;
    }
}
