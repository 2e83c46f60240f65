using System.Diagnostics;

namespace ReId.Ingest;

/// <summary>A raw decoding run: ffmpeg alone, same input and output conversion as a camera, to a null sink.</summary>
/// <param name="Frames">Frames ffmpeg output.</param>
/// <param name="Elapsed">From start to the last progress report (or to the end).</param>
/// <param name="DecoderCpu">CPU time ffmpeg used (as of the last progress report).</param>
/// <param name="Error">Why it failed, password masked; null when it decoded.</param>
/// <param name="FirstFrames">Frames at the start of the steady part: the first progress report with frames, or the first one
/// at least the warm-up later.</param>
/// <param name="FirstFramesAt">When that report came.</param>
/// <param name="FirstFramesCpu">CPU time ffmpeg had used by then.</param>
public sealed record DecodeBaselineResult(
    long Frames, TimeSpan Elapsed, TimeSpan DecoderCpu, string? Error, long FirstFrames, TimeSpan FirstFramesAt, TimeSpan FirstFramesCpu)
{
    /// <summary>Frames a second from start to end, connecting and probing included.</summary>
    public double Fps => Elapsed > TimeSpan.Zero ? Frames / Elapsed.TotalSeconds : 0;

    /// <summary>Frames a second once frames flow (connecting and probing left out).</summary>
    public double SteadyFps => Elapsed > FirstFramesAt ? (Frames - FirstFrames) / (Elapsed - FirstFramesAt).TotalSeconds : 0;

    /// <summary>CPU time of the steady part.</summary>
    public TimeSpan SteadyCpu => DecoderCpu - FirstFramesCpu;

    /// <summary>Length of the steady part.</summary>
    public TimeSpan SteadyElapsed => Elapsed - FirstFramesAt;
}

/// <summary>Baselines for the ingest benchmark, and source probing. Processes are started through the same code as cameras.</summary>
public static class DecodeBaseline
{
    /// <summary>
    /// Decodes the camera's source as its camera would (same size, rate, pixel format) into ffmpeg's null sink, for at most
    /// <paramref name="duration"/> (a file read without looping ends sooner).
    /// </summary>
    /// <param name="options">The camera whose decoding is measured.</param>
    /// <param name="duration">How long to decode.</param>
    /// <param name="warmUp">The steady part starts this long after the first frame (a live stream first delivers, in a burst,
    /// what ffmpeg buffered while probing it).</param>
    /// <param name="cancellationToken">Stops it early.</param>
    public static async Task<DecodeBaselineResult> RunAsync(CameraOptions options, TimeSpan duration, TimeSpan warmUp = default,
        CancellationToken cancellationToken = default)
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
            (long Frames, TimeSpan At, TimeSpan Cpu)? first = null;
            TimeSpan? firstFrameAt = null;
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
                        if (progress.Frames > 0)
                        {
                            firstFrameAt ??= reportedAt;
                            if (first is null && reportedAt - firstFrameAt >= warmUp)
                            {
                                first = (progress.Frames, reportedAt, cpu);
                            }
                        }
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

            var (firstFrames, firstAt, firstCpu) = first ?? (0, TimeSpan.Zero, TimeSpan.Zero);
            return new DecodeBaselineResult(progress.Frames, reportedAt, cpu, error, firstFrames, firstAt, firstCpu);
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
