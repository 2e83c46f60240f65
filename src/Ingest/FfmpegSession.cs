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

        void OnStderr(string line)
        {
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
            process = FfmpegProcess.Start(options.FfmpegPath, FfmpegArguments.Decode(options), OnStderr);
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
            error = stalled ?? log.Describe(exitCode, frames, options.IsLive);
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
    /// Kills ffmpeg when no frame came for the stall timeout (a silent UDP stream, a hung server), or no first frame
    /// within the connect timeout. Returns what it killed for, or null.
    /// </summary>
    private static async Task<string?> WatchForStallAsync(Camera camera, FfmpegProcess process, long startFrames, CancellationToken cancellationToken)
    {
        var options = camera.Options;
        var period = TimeSpan.FromTicks(Math.Min(options.StallTimeout.Ticks / 4, TimeSpan.TicksPerSecond));
        try
        {
            while (true)
            {
                await Task.Delay(period, camera.Time, cancellationToken).ConfigureAwait(false);
                camera.SampleDecoderCpu();
                if (camera.WaitingForConsumer)
                {
                    continue;
                }

                var first = camera.FramesDecoded == startFrames;
                var limit = first ? options.ConnectTimeout : options.StallTimeout;
                if (camera.Time.GetElapsedTime(camera.LastFrameTimestamp) > limit)
                {
                    process.Kill();
                    return first
                        ? $"no frame within {limit.TotalSeconds:0.#} s of connecting"
                        : $"no frame for {limit.TotalSeconds:0.#} s: the stream stalled";
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
