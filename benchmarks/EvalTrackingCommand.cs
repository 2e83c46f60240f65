using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using ReId.Detection;
using ReId.Tracking;

namespace ReId.Benchmarks;

/// <summary>
/// <c>reid-bench eval-tracking</c>: runs the tracker on MOTChallenge sequence folders (their public detections, or
/// a detector over their frames), a video, or a detections file, and scores it against MOT ground truth: a table
/// row per sequence, a combined row for several, one JSON line at the end, and MOT-format tracks for other tools.
/// </summary>
internal static class EvalTrackingCommand
{
    /// <summary>One input to track: its name, how to run it, and its ground truth when there is one.</summary>
    private sealed record Input(string Name, string Source, Func<ITracker, IProgress<ProgressStatus>, VideoTrackingResult> Track, string? GroundTruth);

    public static Command Create()
    {
        var sequences = new Argument<string[]>("sequence")
        {
            Description = "MOTChallenge sequence folders (seqinfo.ini, det/det.txt, gt/gt.txt, img1/)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var video = new Option<string?>("--video") { Description = "a video file: detect with --detector, then track" };
        var detections = new Option<string?>("--detections")
        {
            Description = "a detections file, MOT format (frame,-1,x,y,w,h,score,...): track these (no detector, no frames)",
        };
        var gt = new Option<string?>("--gt") { Description = "ground truth, MOT format, for --video or --detections (a sequence folder's is gt/gt.txt)" };
        var detector = new Option<string?>("--detector")
        {
            Description = "detect the people (yolox or hog); sequence folders: over img1/ instead of det/det.txt; --video: default yolox",
        };
        detector.AcceptOnlyFromAmong([.. DetectorRegistry.Names]);
        var model = new Option<string>("--model") { Description = "YOLOX ONNX model file", DefaultValueFactory = _ => new DetectorOptions().ModelPath };
        var provider = new Option<string>("--provider") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        provider.AcceptOnlyFromAmong("cpu", "cuda");
        var tiles = new Option<int>("--tiles") { Description = "detector tiles per side (Detection:Tiles): 1 whole frame only, N also N x N overlapping tiles", DefaultValueFactory = _ => 1 };
        var fps = new Option<double?>("--fps") { Description = "frame rate (default: seqinfo.ini's, the video's, else 25)" };
        var output = new Option<string?>("--out")
        {
            Description = "folder to write each sequence's tracks to, MOT format, as <name>.txt (TrackEval's layout); with a detector also its boxes as <name>-det.txt, to track again with --detections",
        };
        var iou = new Option<double>("--iou") { Description = "IoU needed for a CLEAR/identity match (HOTA uses 0.05-0.95)", DefaultValueFactory = _ => 0.5 };
        var tracker = new Option<string[]>("--tracker")
        {
            Description = "a tracker setting KEY=VALUE, as in the Tracking section (e.g. NewTrackThreshold=0.7, LostTrackBuffer=00:00:03); repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("eval-tracking",
            "Track MOTChallenge sequences, a video or a detections file and score against MOT ground truth (table, then one JSON line).")
        {
            sequences, video, detections, gt, detector, model, provider, tiles, fps, output, iou, tracker,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(
            parse.GetValue(sequences) ?? [], parse.GetValue(video), parse.GetValue(detections), parse.GetValue(gt),
            parse.GetValue(detector), parse.GetValue(model)!, parse.GetValue(provider)!, parse.GetValue(tiles), parse.GetValue(fps),
            parse.GetValue(output), parse.GetValue(iou), parse.GetValue(tracker) ?? [], cancellationToken)));
        return command;
    }

    private static int Run(string[] sequences, string? videoPath, string? detectionsPath, string? gtPath, string? detectorName,
        string modelPath, string provider, int tiles, double? fps, string? outputFolder, double iou, string[] trackerSettings,
        CancellationToken cancellationToken)
    {
        int kinds = (sequences.Length > 0 ? 1 : 0) + (videoPath is null ? 0 : 1) + (detectionsPath is null ? 0 : 1);
        string? usage =
            kinds != 1 ? "give sequence folders, or --video, or --detections (one of the three)." :
            iou is <= 0 or > 1 ? $"--iou must be in (0, 1]; got {iou}." :
            fps is { } f && !(f > 0 && f < 1000) ? $"--fps must be in (0, 1000); got {f}." :
            gtPath is not null && sequences.Length > 1 ? "--gt names one ground truth; several sequence folders use their own gt/gt.txt." :
            detectionsPath is not null && detectorName is not null ? "--detections is tracked as given: it takes no --detector." :
            null;
        if (usage is not null)
        {
            Console.Error.WriteLine($"eval-tracking: {usage}");
            return 2;
        }

        try
        {
            var trackerOptions = TrackerSettings(trackerSettings);
            using var loggerFactory = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            using var detector = detectorName is not null || videoPath is not null
                ? DetectorRegistry.Create(
                    new DetectorOptions { Detector = detectorName ?? "yolox", ModelPath = modelPath, ExecutionProvider = provider, Tiles = tiles }, loggerFactory)
                : null;
            var inputs = Inputs(sequences, videoPath, detectionsPath, gtPath, detector, fps, cancellationToken);
            if (detector is not null)
            {
                Console.WriteLine($"detector: {detector.Description}");
            }

            var rows = new List<(Input Input, VideoTrackingResult Result, MotMetrics? Metrics)>();
            var recalls = new Dictionary<string, IReadOnlyList<HeightRecall>>();
            foreach (var input in inputs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                VideoTrackingResult result;
                using (var progress = new ProgressReporter($"eval-tracking {input.Name}", "frames"))
                {
                    result = input.Track(TrackerRegistry.Create(input.Name, trackerOptions), progress);
                }

                if (outputFolder is not null)
                {
                    Directory.CreateDirectory(outputFolder);
                    MotFile.Write(Path.Combine(outputFolder, input.Name + ".txt"), result.Tracks);
                    if (result.DetectorOutput.Count > 0)
                    {
                        MotFile.Write(Path.Combine(outputFolder, input.Name + "-det.txt"), result.DetectorOutput);
                    }
                }

                var truth = input.GroundTruth is null ? null : MotFile.Read(input.GroundTruth);
                var metrics = truth is null ? null : MotEvaluator.Evaluate(truth, result.Tracks, iou);
                rows.Add((input, result, metrics));
                if (truth is not null)
                {
                    var byHeight = RecallByHeight.Measure(truth, result.Tracks, iouThreshold: iou);
                    recalls[input.Name] = byHeight;
                    Console.WriteLine($"{input.Name}: recall by person height, tracks: {Describe(byHeight)}");
                    if (result.DetectorOutput.Count > 0)
                    {
                        Console.WriteLine($"{input.Name}: recall by person height, detector (any score): " +
                                          Describe(RecallByHeight.Measure(truth, result.DetectorOutput, iouThreshold: iou)));
                    }
                }
            }

            var scored = rows.Where(r => r.Metrics is not null).Select(r => r.Metrics!).ToList();
            var combined = rows.Count > 1 && scored.Count > 1 ? MotMetrics.Combine(scored) : null;
            Console.Write(Table(rows, combined));
            var json = new Dictionary<string, object?>
            {
                ["eval"] = "tracking",
                ["source"] = rows[0].Input.Source,
                ["iou"] = iou,
                ["tracker"] = trackerSettings,
                ["sequences"] = rows.Select(r => Figures(r.Input.Name, r.Result, r.Metrics, recalls.GetValueOrDefault(r.Input.Name))).ToList(),
            };
            var overall = combined ?? (scored.Count == 1 ? scored[0] : null);
            if (overall is not null)
            {
                foreach (var (key, value) in Scores(overall))
                {
                    json[key] = value;
                }
            }

            if (outputFolder is not null)
            {
                json["out"] = Path.GetFullPath(outputFolder);
            }

            Console.WriteLine(JsonSerializer.Serialize(json));
            return 0;
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"eval-tracking: {e.Message}");
            return 1;
        }
    }

    private static List<Input> Inputs(string[] sequences, string? videoPath, string? detectionsPath, string? gtPath,
        IPersonDetector? detector, double? fps, CancellationToken cancellationToken)
    {
        if (videoPath is not null)
        {
            return [new Input(Path.GetFileNameWithoutExtension(videoPath), detector!.Name,
                (t, p) => VideoTracking.Run(videoPath, detector, t, fps: fps, cancellationToken: cancellationToken, progress: p), gtPath)];
        }

        if (detectionsPath is not null)
        {
            var given = MotFile.Read(detectionsPath);
            return [new Input(DetectionsName(detectionsPath), "public", (t, _) => DetectionTracking.Run(given, t, fps ?? 25), gtPath)];
        }

        var inputs = new List<Input>();
        foreach (var path in sequences)
        {
            var sequence = MotSequenceFolder.Read(path);
            double rate = fps ?? sequence.FrameRate ?? 25;
            string? truth = gtPath ?? sequence.GroundTruth;
            if (detector is not null)
            {
                string frames = sequence.FramePattern
                    ?? throw new FileNotFoundException($"{sequence.Folder} has no {sequence.ImageFolder}/ folder of frames to detect in.");
                inputs.Add(new Input(sequence.Name, detector.Name,
                    (t, p) => VideoTracking.Run(frames, detector, t, sequence.Length ?? int.MaxValue, rate, cancellationToken, p), truth));
            }
            else
            {
                string det = sequence.Detections
                    ?? throw new FileNotFoundException($"{sequence.Folder} has no det/det.txt (give --detector to detect in its frames).");
                var given = MotFile.Read(det);
                inputs.Add(new Input(sequence.Name, "public", (t, _) => DetectionTracking.Run(given, t, rate, sequence.Length ?? 0), truth));
            }
        }

        return inputs;
    }

    /// <summary>
    /// <see cref="TrackerOptions"/> from <c>KEY=VALUE</c> settings, bound as the service binds its Tracking section
    /// (unknown keys are errors) and validated.
    /// </summary>
    internal static TrackerOptions TrackerSettings(IEnumerable<string> settings)
    {
        var pairs = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (string setting in settings)
        {
            int eq = setting.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"--tracker '{setting}': expected KEY=VALUE, e.g. NewTrackThreshold=0.7.");
            }

            pairs[setting[..eq].Trim()] = setting[(eq + 1)..].Trim();
        }

        var options = new TrackerOptions();
        try
        {
            new ConfigurationBuilder().AddInMemoryCollection(pairs).Build().Bind(options, b => b.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"--tracker: {e.Message}", e);
        }

        options.Validate();
        return options;
    }

    /// <summary>A detections file's name, or its sequence's for a sequence folder's <c>det/det.txt</c>.</summary>
    private static string DetectionsName(string path)
    {
        var file = new FileInfo(path);
        return file.Name == "det.txt" && file.Directory is { Name: "det", Parent: { } sequence } ? sequence.Name : Path.GetFileNameWithoutExtension(path);
    }

    private static string Table(List<(Input Input, VideoTrackingResult Result, MotMetrics? Metrics)> rows, MotMetrics? combined)
    {
        string[] header = ["sequence", "frames", "HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1", "IDsw", "Frag",
            "MT", "PT", "ML", "FP", "FN", "Rcll", "Prcn", "GT ids", "tracks", "ms/frame"];
        var lines = new List<string[]> { header };
        foreach (var (input, result, m) in rows)
        {
            lines.Add(Row(input.Name, result.Frames, m, result.Tracks.Select(t => t.Id).Distinct().Count(),
                result.Elapsed.TotalMilliseconds / Math.Max(1, result.Frames)));
        }

        if (combined is not null)
        {
            var all = rows.Select(r => r.Result).ToList();
            lines.Add(Row("COMBINED", all.Sum(r => r.Frames), combined, all.Sum(r => r.Tracks.Select(t => t.Id).Distinct().Count()),
                all.Sum(r => r.Elapsed.TotalMilliseconds) / Math.Max(1, all.Sum(r => r.Frames))));
        }

        var widths = Enumerable.Range(0, header.Length).Select(c => lines.Max(l => l[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.AppendLine(string.Join("  ", line.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))));
        }

        return text.ToString();
    }

    private static string[] Row(string name, int frames, MotMetrics? m, int tracks, double msPerFrame)
    {
        static string P(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture);
        static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        string[] scores = m is null
            ? Enumerable.Repeat("-", 17).ToArray()
            : [P(m.Hota.Hota), P(m.Hota.DetA), P(m.Hota.AssA), P(m.Hota.LocA), P(m.Mota), P(m.Motp), P(m.Idf1), I(m.IdSwitches),
                I(m.Fragmentations), I(m.MostlyTracked), I(m.PartiallyTracked), I(m.MostlyLost), I(m.FalsePositives), I(m.Misses),
                P(m.Recall), P(m.Precision), I(m.GroundTruthIds)];
        return [name, I(frames), .. scores, I(tracks), msPerFrame.ToString("0.000", CultureInfo.InvariantCulture)];
    }

    private static string Describe(IReadOnlyList<HeightRecall> bins) => string.Join(", ", bins.Select(b =>
        string.Create(CultureInfo.InvariantCulture, $"{Range(b)} px {(b.Total == 0 ? "-" : (100 * b.Recall).ToString("0.0", CultureInfo.InvariantCulture))} % of {b.Total}")));

    private static string Range(HeightRecall b) => float.IsPositiveInfinity(b.MaxHeight)
        ? string.Create(CultureInfo.InvariantCulture, $">={b.MinHeight:0}")
        : string.Create(CultureInfo.InvariantCulture, $"{b.MinHeight:0}-{b.MaxHeight:0}");

    private static Dictionary<string, object?> Figures(string name, VideoTrackingResult result, MotMetrics? m, IReadOnlyList<HeightRecall>? byHeight)
    {
        var figures = new Dictionary<string, object?>
        {
            ["name"] = name,
            ["frames"] = result.Frames,
            ["tracks"] = result.Tracks.Select(t => t.Id).Distinct().Count(),
            ["ms_per_frame"] = Math.Round(result.Elapsed.TotalMilliseconds / Math.Max(1, result.Frames), 4),
        };
        if (m is not null)
        {
            foreach (var (key, value) in Scores(m))
            {
                figures[key] = value;
            }
        }

        if (byHeight is not null)
        {
            figures["recall_by_height"] = byHeight.Select(b => new Dictionary<string, object?>
            {
                ["height_px"] = Range(b), ["found"] = b.Found, ["total"] = b.Total,
            }).ToList();
        }

        return figures;
    }

    private static IEnumerable<(string Key, object Value)> Scores(MotMetrics m)
    {
        yield return ("hota", Math.Round(m.Hota.Hota, 6));
        yield return ("deta", Math.Round(m.Hota.DetA, 6));
        yield return ("assa", Math.Round(m.Hota.AssA, 6));
        yield return ("loca", Math.Round(m.Hota.LocA, 6));
        yield return ("mota", Math.Round(m.Mota, 6));
        yield return ("motp", Math.Round(m.Motp, 6));
        yield return ("idf1", Math.Round(m.Idf1, 6));
        yield return ("id_switches", m.IdSwitches);
        yield return ("fragmentations", m.Fragmentations);
        yield return ("mostly_tracked", m.MostlyTracked);
        yield return ("partially_tracked", m.PartiallyTracked);
        yield return ("mostly_lost", m.MostlyLost);
        yield return ("false_positives", m.FalsePositives);
        yield return ("misses", m.Misses);
        yield return ("precision", Math.Round(m.Precision, 6));
        yield return ("recall", Math.Round(m.Recall, 6));
        yield return ("gt_ids", m.GroundTruthIds);
    }
}
