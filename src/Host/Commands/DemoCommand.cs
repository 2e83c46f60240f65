using System.CommandLine;
using ReId.Host.Configuration;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;
using ReId.Ingest;

namespace ReId.Host.Commands;

/// <summary>
/// <c>reid demo</c>: the sample video as two cameras (the second a mirrored, recoloured, resized copy starting 20 s
/// later) processed through the whole pipeline, then served with the page.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "HTTP port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 8080 };
        var seconds = new Option<double?>("--seconds") { Description = "Use only the first seconds of the video (default: all of it)." };
        var noServe = new Option<bool>("--no-serve") { Description = "Exit after processing instead of serving the page." };
        var detector = new Option<string>("--detector") { Description = "auto (YOLOX when its model file is there, else HOG), yolox or hog.", DefaultValueFactory = _ => "auto" };
        var command = new Command("demo", "Process the sample video as two cameras, then serve the page (prints its URL).");
        foreach (var o in new Option[] { port, seconds, noServe, detector })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var video = CommandSupport.SampleVideo();
            if (video is null)
            {
                Console.Error.WriteLine("reid demo: the sample video vtest.avi was not found (install Debian's opencv-doc, run ./setup.sh, " +
                                        "or set REID_SAMPLE_VIDEO)");
                return 2;
            }

            var work = Directory.CreateTempSubdirectory("reid-demo-").FullName;
            Console.WriteLine($"reid demo: sample video {video}; working folder {work}");
            var b = Path.Combine(work, "plaza-b.mp4");
            var a = video;
            if (parse.GetValue(seconds) is { } s)
            {
                a = Path.Combine(work, "plaza-a.mp4");
                await SampleCameras.TrimAsync(video, a, s, cancellationToken).ConfigureAwait(false);
            }

            await SampleCameras.MakeChangedCopyAsync(video, b, parse.GetValue(seconds), cancellationToken).ConfigureAwait(false);
            var options = DemoOptions(a, b, Path.Combine(work, "data"), parse.GetValue(detector)!, parse.GetValue(port));
            ConfigurationLoader.Validate(options);
            ShutdownSignal.Current?.Timeout = options.Pipeline.ShutdownTimeout;
            if (options.Detection.Detector != "hog" && !File.Exists(options.Detection.ModelPath))
            {
                Console.WriteLine($"reid demo: detector: OpenCV's HOG people detector, because the YOLOX model {options.Detection.ModelPath} is absent " +
                                  "(HOG is slower, misses people under ~128 px and often boxes two as one); " +
                                  "`./setup.sh --models` fetches YOLOX-nano (needs internet), or set REID_YOLOX_MODEL to the file");
            }

            using var loggerFactory = CommandSupport.CreateLoggerFactory();
            await using var service = await ReidService.CreateAsync(options, loggerFactory, EncoderAdapter.Create).ConfigureAwait(false);
            // The page is served from the start: sightings appear on it while the video is processed.
            Uri? url = null;
            if (!parse.GetValue(noServe))
            {
                try
                {
                    url = await service.StartWebAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    Console.Error.WriteLine($"reid demo: {e.Message} (choose another with --port)");
                    return 1;
                }

                Console.WriteLine($"reid demo: the page is at {url} (sightings appear while the video is processed)");
            }

            Console.WriteLine($"reid demo: processing 2 cameras (detector: {service.DetectorDescription}; encoder: {service.Embedder.ModelDescription})");
            var totalFrames = await PipelineProgress.FileFramesAsync(options.Cameras, cancellationToken).ConfigureAwait(false);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                using var progress = PipelineProgress.Start("reid demo", service, totalFrames);
                await service.RunPipelineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PipelineFailedException e)
            {
                Console.Error.WriteLine($"reid demo: {e.Message}");
                return 1;
            }

            Console.WriteLine(ProcessCommand.Summary(service.Pipeline.Metrics, clock.Elapsed));
            Console.WriteLine(ProcessCommand.Drops(service));
            if (url is null)
            {
                return 0;
            }

            // The same service answers: its cameras show as stopped, its metrics stay.
            Console.WriteLine($"reid demo: done; open {url} in a browser (Ctrl+C stops)");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("reid demo: stopped");
            }

            return 0;
        });
        return command;
    }

    /// <summary>The demo's configuration: two file cameras of the sample video, YOLOX (or HOG), the embedded store.</summary>
    public static ServiceSettings DemoOptions(string a, string b, string dataFolder, string detector, int port)
    {
        var options = new ServiceSettings();
        // The sample is 768x576 at 10 fps: keep its size and rate; detect every other frame of video time.
        options.Cameras.AddRange(SampleCameras.Sections(a, b, DateTimeOffset.UtcNow.AddMinutes(-5), 768, 576, 10));
        // Processed as fast as the pipeline goes, every frame (the cameras wait for detection, nothing is dropped).
        foreach (var c in options.Cameras)
        {
            c.Pace = FilePace.Fast;
        }

        options.Detection.Detector = detector;
        options.Detection.ModelPath = CommandSupport.YoloxModel();
        options.Pipeline.DetectionFpsPerCamera = 5;
        options.Pipeline.DetectionQueueCapacity = 64;
        // The second camera is a mirror image of the first.
        options.Encoder.FlipAverage = true;
        options.Search.Directory = dataFolder;
        options.Http.Port = port;
        return options;
    }
}
