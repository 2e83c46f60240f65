using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ReId.Host.Configuration;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;
using ReId.Ingest;

namespace ReId.Host.Commands;

/// <summary><c>reid process --config FILE</c>: recorded footage through the pipeline as fast as it goes.</summary>
internal static class ProcessCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "The service's JSON configuration file (file cameras only).", Required = true };
        var fast = new Option<bool>("--fast")
        {
            Description = "(default) Process the files as fast as the pipeline goes, every frame: the cameras wait for detection, nothing is dropped.",
            DefaultValueFactory = _ => true,
        };
        var realtime = new Option<bool>("--realtime")
        {
            Description = "Play the files at their own pace, as live cameras (frames detection cannot take are dropped).",
        };
        var command = new Command("process", "Process recorded video files (file cameras) to the end, then print a summary.");
        command.Options.Add(config);
        command.Options.Add(fast);
        command.Options.Add(realtime);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandSupport.LoadConfig(parse.GetValue(config)!);
            if (options is null)
            {
                return 2;
            }

            var live = options.Cameras.FirstOrDefault(c => c.IsLive);
            if (live is not null || options.Cameras.Count == 0)
            {
                Console.Error.WriteLine(live is null
                    ? "reid: process needs at least one file camera in Cameras"
                    : $"reid: process takes recorded files only; camera '{live.Id}' is a network stream (use serve)");
                return 2;
            }

            using var loggerFactory = ServiceLogging.Create(options.Logging);
            return await RunAsync(options, parse.GetValue(fast) && !parse.GetValue(realtime), loggerFactory, Console.Out, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Plays every file camera to its end through the pipeline; prints the summary. <paramref name="fast"/>: as fast
    /// as the pipeline goes, every stage waiting for the next (no frame dropped); otherwise at the files' own pace,
    /// as live cameras, dropping the frames detection cannot take.
    /// </summary>
    public static async Task<int> RunAsync(ServiceSettings options, bool fast, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory, TextWriter output, CancellationToken cancellationToken)
    {
        foreach (var c in options.Cameras)
        {
            c.Pace = fast ? FilePace.Fast : FilePace.Realtime;
            c.Loop = false;
        }

        await using var service = await ReidService.CreateAsync(options, loggerFactory, EncoderAdapter.Create).ConfigureAwait(false);
        output.WriteLine($"reid: processing {options.Cameras.Count} file camera(s) (detector: {service.DetectorDescription}; encoder: {service.Embedder.ModelDescription})");
        var totalFrames = await PipelineProgress.FileFramesAsync(options.Cameras, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        try
        {
            using var progress = PipelineProgress.Start("reid process", service, totalFrames);
            await service.RunPipelineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PipelineFailedException e)
        {
            Console.Error.WriteLine($"reid: {e.Message}");
            return 1;
        }

        output.WriteLine(Summary(service.Pipeline.Metrics, clock.Elapsed));
        output.WriteLine(Drops(service));
        return 0;
    }

    /// <summary>Frames lost anywhere between the cameras and the trackers, in words.</summary>
    public static string Drops(ReidService service)
    {
        var m = service.Pipeline.Metrics;
        var dropped = service.Context.Cameras.Sum(c => c.FramesDropped) + m.Detection.Dropped + m.Tracking.Dropped;
        return dropped > 0 ? $"reid: {dropped} frames were dropped because the pipeline could not keep up" : "reid: no frame dropped";
    }

    public static string Summary(PipelineMetrics m, TimeSpan elapsed)
    {
        var perCamera = string.Join(", ", m.Sightings.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"reid: {m.Ingest.In} frames ({m.DetectedFrames.Values.Sum()} detected), {m.Tracklets.Values.Sum()} tracklets, {m.Sightings.Values.Sum()} sightings in {elapsed.TotalSeconds:0.0} s; sightings per camera: {perCamera}");
    }
}
