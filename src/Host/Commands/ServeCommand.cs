using System.CommandLine;
using Microsoft.Extensions.Logging;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;

namespace ReId.Host.Commands;

/// <summary><c>reid serve --config FILE</c>: live cameras through the pipeline, the API and the page.</summary>
internal static partial class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "The service's JSON configuration file.", Required = true };
        var command = new Command("serve", "Run the service: cameras -> detection -> tracking -> encoder -> store, with the HTTP API and page.");
        command.Options.Add(config);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandSupport.LoadConfig(parse.GetValue(config)!);
            if (options is null)
            {
                return 2;
            }

            using var loggerFactory = ServiceLogging.Create(options.Logging);
            // the service's status goes through the log (one format, dated lines), not beside it
            var log = loggerFactory.CreateLogger("ReId.Host.Serve");
            ReidService service;
            try
            {
                service = await ReidService.CreateAsync(options, loggerFactory, EncoderAdapter.Create).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException or NotSupportedException)
            {
                Console.Error.WriteLine($"reid: the service could not start: {e.Message}");
                return 1;
            }

            await using (service.ConfigureAwait(false))
            {
                Uri url;
                try
                {
                    url = await service.StartWebAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    Console.Error.WriteLine($"reid: {e.Message}");
                    return 1;
                }

                LogServing(log, options.Cameras.Count, url, service.DetectorDescription, service.Embedder.ModelDescription);
                service.WatchEncoderModel(EncoderAdapter.Create, cancellationToken);
                var retention = service.RunRetentionAsync(cancellationToken: cancellationToken);
                try
                {
                    await service.RunPipelineAsync(cancellationToken).ConfigureAwait(false);
                    // File cameras ended: keep answering queries until stopped.
                    LogCamerasEnded(log);
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    LogStopped(log);
                }
                catch (PipelineFailedException)
                {
                    // the service logged why (critical)
                    return 1;
                }

                await retention.ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "serving {Cameras} camera(s) at {Url} (detector: {Detector}; encoder: {Encoder})")]
    private static partial void LogServing(ILogger logger, int cameras, Uri url, string detector, string encoder);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "every camera has ended; still serving queries (Ctrl+C stops)")]
    private static partial void LogCamerasEnded(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "stopped")]
    private static partial void LogStopped(ILogger logger);
}
