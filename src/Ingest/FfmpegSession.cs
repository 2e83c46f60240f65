namespace ReId.Ingest;

/// <summary>One decoder run: ffmpeg decodes the camera's source to raw BGR24 frames on its stdout.</summary>
internal static class FfmpegSession
{
    /// <summary>How long ffmpeg may take to exit by itself once its output ended.</summary>
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(2);

    public static async Task<SessionEnd> RunAsync(Camera camera, CancellationToken cancellationToken)
    {
        var options = camera.Options;
        var log = new FfmpegLog();
        var logGate = new Lock();
        var sourceReported = false;
        // A live URL with a password goes to ffmpeg in a file only this user reads, never on its command line.
        using var secret = options.IsLive && CameraUrl.HasPassword(options.Url) ? SecretInputFile.Write(FfmpegArguments.InputList(options)) : null;
        var maskedUrl = CameraUrl.Mask(options.Url);

        void OnStderr(string line)
        {
            if (secret is not null)
            {
                // ffmpeg has read the list once it describes its input; its messages name the list: say the camera instead.
                if (line.StartsWith("Input #", StringComparison.Ordinal))
                {
                    secret.Dispose();
                }

                line = line.Replace(secret.Path, maskedUrl, StringComparison.Ordinal);
            }

            Log.DecoderOutput(camera.Logger, options.Id, CameraUrl.MaskAll(line));
            SourceVideo? stream;
            lock (logGate)
            {
                log.Add(line);
                stream = sourceReported ? null : log.InputVideo;
                sourceReported |= stream is not null;
            }

            if (stream is not null)
            {
                camera.OnSourceVideo(stream.Width, stream.Height);
            }
        }

        FfmpegProcess process;
        try
        {
            process = FfmpegProcess.Start(options.FfmpegPath, FfmpegArguments.Decode(options, secret?.Path), OnStderr);
        }
        catch (FfmpegNotFoundException e)
        {
            return new SessionEnd(0, e.Message, Fatal: true);
        }

        try
        {
            await using (process.ConfigureAwait(false))
            {
                return await DecodeAsync(camera, process, log, logGate, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            camera.OnDecoderEnded();
        }
    }

    private static async Task<SessionEnd> DecodeAsync(Camera camera, FfmpegProcess process, FfmpegLog log, Lock logGate, CancellationToken cancellationToken)
    {
        var options = camera.Options;
        var started = camera.Time.GetTimestamp();
        camera.OnDecoderStarted(process);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchdog = WatchForStallAsync(camera, process, camera.FramesDecoded, watching.Token);
        long frames = 0;
        // A killed process closes the pipe, which ends the read below at once.
        await using (cancellationToken.Register(process.Kill).ConfigureAwait(false))
        {
            try
            {
                frames = await ReadFramesAsync(camera, process.Output, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The pipe broke: ffmpeg died; its exit code and stderr say why.
            }
            finally
            {
                camera.SampleDecoderCpu();
                await watching.CancelAsync().ConfigureAwait(false);
            }
        }

        var stalled = await watchdog.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var exitCode = await process.WaitForExitAsync(ExitTimeout, cancellationToken).ConfigureAwait(false);
        string? error;
        lock (logGate)
        {
            error = stalled ?? log.Describe(exitCode, frames, options.IsLive, camera.Time.GetElapsedTime(started));
        }

        return new SessionEnd(frames, error);
    }

    /// <summary>
    /// Reads whole frames into pooled buffers until the stream ends; a partial last frame is discarded. Blocking reads on a
    /// thread of its own: ffmpeg writes a frame in 32 KiB pieces, and a blocking read per piece costs far less than an
    /// asynchronous wake-up per piece. Cancellation kills ffmpeg, which ends the read.
    /// </summary>
    private static Task<long> ReadFramesAsync(Camera camera, Stream output, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => ReadFrames(camera, output, cancellationToken), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static long ReadFrames(Camera camera, Stream output, CancellationToken cancellationToken)
    {
        var size = camera.Options.FrameBytes;
        long frames = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var buffer = camera.Pool.Rent();
            int read;
            try
            {
                read = output.ReadAtLeast(buffer.AsSpan(0, size), size, throwOnEndOfStream: false);
            }
            catch
            {
                camera.Pool.Return(buffer);
                throw;
            }

            if (read < size)
            {
                camera.Pool.Return(buffer);
                break;
            }

            camera.Publish(buffer, cancellationToken);
            frames++;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return frames;
    }

    /// <summary>
    /// A live stream that delivers less than this share of its configured rate over a whole stall timeout has stalled
    /// too (a frozen server trickling a frame every few seconds): ffmpeg's <c>-r</c> repeats frames up to the rate
    /// whenever the source's timestamps go on, so a healthy stream never comes near it.
    /// </summary>
    internal const double MinRateShare = 0.25;

    /// <summary>
    /// Kills ffmpeg when no frame came for the stall timeout (a silent UDP stream, a hung server), no first frame
    /// within the connect timeout, or a live stream trickles (below <see cref="MinRateShare"/> of its rate over the
    /// stall timeout). Returns what it killed for, or null.
    /// </summary>
    private static async Task<string?> WatchForStallAsync(Camera camera, FfmpegProcess process, long startFrames, CancellationToken cancellationToken)
    {
        var options = camera.Options;
        var period = TimeSpan.FromTicks(Math.Min(options.StallTimeout.Ticks / 4, TimeSpan.TicksPerSecond));
        // (time, frames decoded) once a period, for the rate over the last stall timeout.
        var samples = new Queue<(long Time, long Frames)>();
        try
        {
            while (true)
            {
                await Task.Delay(period, camera.Time, cancellationToken).ConfigureAwait(false);
                camera.SampleDecoderCpu();
                if (camera.WaitingForConsumer)
                {
                    samples.Clear();
                    continue;
                }

                var decoded = camera.FramesDecoded;
                var first = decoded == startFrames;
                var limit = first ? options.ConnectTimeout : options.StallTimeout;
                if (camera.Time.GetElapsedTime(camera.LastFrameTimestamp) > limit)
                {
                    process.Kill();
                    return first
                        ? $"no frame within {limit.TotalSeconds:0.#} s of connecting"
                        : $"no frame for {limit.TotalSeconds:0.#} s: the stream stalled";
                }

                if (first || !options.IsLive)
                {
                    continue;
                }

                var now = camera.Time.GetTimestamp();
                samples.Enqueue((now, decoded));
                while (samples.Count > 2 && camera.Time.GetElapsedTime(samples.ElementAt(1).Time, now) >= options.StallTimeout)
                {
                    samples.Dequeue();
                }

                var (since, framesThen) = samples.Peek();
                var window = camera.Time.GetElapsedTime(since, now);
                var expected = options.Fps * window.TotalSeconds;
                if (window >= options.StallTimeout && decoded - framesThen < expected * MinRateShare)
                {
                    process.Kill();
                    return $"the stream trickled: {decoded - framesThen} frames in {window.TotalSeconds:0.#} s where about " +
                        $"{expected:0} were expected ({options.Fps:0.###} fps): the stream stalled";
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
