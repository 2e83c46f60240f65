using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ReId.Detection;
using ReId.Tracking;

namespace ReId.Benchmarks;

/// <summary><c>reid eval-tracking</c>: runs detection and tracking over a video and scores it against MOT ground truth.</summary>
internal static class EvalTrackingCommand
{
    public static Command Create()
    {
        var video = new Option<string>("--video") { Description = "video file", Required = true };
        var gt = new Option<string>("--gt") { Description = "ground truth, MOTChallenge text format (frame,id,x,y,w,h,...)", Required = true };
        var detector = new Option<string>("--detector") { Description = "yolox or hog", DefaultValueFactory = _ => "yolox" };
        detector.AcceptOnlyFromAmong([.. DetectorRegistry.Names]);
        var model = new Option<string>("--model") { Description = "YOLOX ONNX model file", DefaultValueFactory = _ => new DetectorOptions().ModelPath };
        var provider = new Option<string>("--provider") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        provider.AcceptOnlyFromAmong("cpu", "cuda");
        var output = new Option<string?>("--out") { Description = "also write the tracks found, MOT format" };
        var iou = new Option<double>("--iou") { Description = "IoU needed for a match", DefaultValueFactory = _ => 0.5 };
        var command = new Command("eval-tracking", "Score detection + tracking on a video against MOT ground truth (ends with a JSON line).")
        {
            video, gt, detector, model, provider, output, iou,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(
            parse.GetValue(video)!, parse.GetValue(gt)!, parse.GetValue(detector)!, parse.GetValue(model)!,
            parse.GetValue(provider)!, parse.GetValue(output), parse.GetValue(iou), cancellationToken)));
        return command;
    }

    private static int Run(string videoPath, string gtPath, string detectorName, string modelPath, string provider,
        string? outputPath, double iou, CancellationToken cancellationToken)
    {
        if (iou is <= 0 or > 1)
        {
            Console.Error.WriteLine($"--iou must be in (0, 1]; got {iou}.");
            return 2;
        }

        try
        {
            var truth = MotFile.Read(gtPath);
            using var loggerFactory = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            using var detector = DetectorRegistry.Create(
                new DetectorOptions { Detector = detectorName, ModelPath = modelPath, ExecutionProvider = provider }, loggerFactory);
            var tracker = TrackerRegistry.Create(Path.GetFileNameWithoutExtension(videoPath), new TrackerOptions());
            Console.WriteLine($"detector: {detector.Description}");
            var result = VideoTracking.Run(videoPath, detector, tracker, cancellationToken: cancellationToken);
            if (outputPath is not null)
            {
                MotFile.Write(outputPath, result.Tracks);
            }

            var m = MotEvaluator.Evaluate(truth, result.Tracks, iou);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Frames} frames in {result.Elapsed.TotalSeconds:0.0} s ({result.Frames / result.Elapsed.TotalSeconds:0.0} frames/s), {result.Tracklets} tracklets"));
            Console.WriteLine(m.ToString());
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["eval"] = "tracking",
                ["detector"] = detector.Name,
                ["frames"] = result.Frames,
                ["mota"] = Math.Round(m.Mota, 4),
                ["idf1"] = Math.Round(m.Idf1, 4),
                ["id_switches"] = m.IdSwitches,
                ["precision"] = Math.Round(m.Precision, 4),
                ["recall"] = Math.Round(m.Recall, 4),
                ["false_positives"] = m.FalsePositives,
                ["misses"] = m.Misses,
                ["fps"] = Math.Round(result.Frames / result.Elapsed.TotalSeconds, 2),
            }));
            return 0;
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"eval-tracking: {e.Message}");
            return 1;
        }
    }
}
