using System.Diagnostics;

namespace ReId.Ingest;

/// <summary>A raw decoding run: ffmpeg alone, same input and output conversion as a camera, to a null sink.</summary>
/// <param name="Frames">Frames ffmpeg output.</param>
/// <param name="Elapsed">From start to the last progress report (or to the end).</param>
/// <param name="DecoderCpu">CPU time ffmpeg used (as of the last sample).</param>
/// <param name="Error">Why it failed, password masked; null when it decoded.</param>
public sealed record DecodeBaselineResult(long Frames, TimeSpan Elapsed, TimeSpan DecoderCpu, string? Error)
{
    /// <summary>Frames a second.</summary>
    public double Fps => Elapsed > TimeSpan.Zero ? Frames / Elapsed.TotalSeconds : 0;
}

/// <summary>Baselines for the ingest benchmark, and source probing. Processes are started through the same code as cameras.</summary>
public static class DecodeBaseline
{
    /// <summary>
    /// Decodes the camera's source as its camera would (same size, rate, pixel format) into ffmpeg's null sink, for at most
    /// <paramref name="duration"/> (a file read without looping ends sooner).
    /// </summary>
    public static async Task<DecodeBaselineResult> RunAsync(CameraOptions options, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var log = new FfmpegLog();
        var gate = new Lock();
        var clock = Stopwatch.StartNew();
        var process = FfmpegProcess.Start(options.FfmpegPath, FfmpegArguments.DecodeToNull(options), line =>
        {
            lock (gate)
            {
                log.Add(line);
            }
        });
        await using (process.ConfigureAwait(false))
        {
            var progress = new FfmpegProgress();
            var reportedAt = TimeSpan.Zero;
            var cpu = TimeSpan.Zero;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(duration);
            using var reader = new StreamReader(process.Output);
            try
            {
                while (await reader.ReadLineAsync(limit.Token).ConfigureAwait(false) is { } line)
                {
                    if (progress.Add(line))
                    {
                        reportedAt = clock.Elapsed;
                        cpu = process.TryGetCpuTime() ?? cpu;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The duration is over.
            }

            process.Kill();
            var exitCode = await process.WaitForExitAsync(FfmpegProcess.ExitWait, cancellationToken).ConfigureAwait(false);
            string? error = null;
            if (!progress.Ended && progress.Frames == 0)
            {
                lock (gate)
                {
                    error = log.Describe(exitCode, 0, options.IsLive);
                }
            }

            return new DecodeBaselineResult(progress.Frames, reportedAt, cpu, error);
        }
    }

    /// <summary>Opens the source just long enough to read its video stream's size and rate; null when it cannot be read.</summary>
    public static async Task<(SourceVideo? Video, string? Error)> ProbeAsync(CameraOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var log = new FfmpegLog();
        var gate = new Lock();
        // ffmpeg with an input and no output prints the input's streams and exits.
        string[] arguments = [.. FfmpegArguments.Decode(options).TakeWhile(a => a != "-map")];
        var process = FfmpegProcess.Start(options.FfmpegPath, arguments, line =>
        {
            lock (gate)
            {
                log.Add(line);
            }
        });
        await using (process.ConfigureAwait(false))
        {
            var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                return log.InputVideo is { } video ? (video, null) : (null, log.Describe(exitCode == 0 ? 1 : exitCode, 0, options.IsLive));
            }
        }
    }
}
