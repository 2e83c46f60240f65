using System.Diagnostics;
using OpenCvSharp;

namespace ReId.Tracking;

/// <summary>
/// What tracking a video file gave: per-frame tracks as MOT records (frames from 1), and counts; for a detector's
/// run also what it found, as MOT detection records (id -1), to track again later without detecting.
/// </summary>
public sealed record VideoTrackingResult(
    IReadOnlyList<MotRecord> Tracks, int Frames, int Tracklets, int Detections, TimeSpan Elapsed)
{
    /// <summary>The detector's boxes and scores per frame (empty when the detections were given).</summary>
    public IReadOnlyList<MotRecord> DetectorOutput { get; init; } = [];
}

/// <summary>
/// Runs detection and tracking over a local video file (decoded with OpenCV's FFmpeg backend) or a numbered image
/// sequence given as a pattern (<c>img1/%06d.jpg</c>, a MOTChallenge sequence's frames).
/// </summary>
public static class VideoTracking
{
    /// <param name="fps">the frame rate; null: the video's own (25 where it has none, as image sequences).</param>
    /// <exception cref="FileNotFoundException">the video file (or the pattern's folder) is absent.</exception>
    /// <exception cref="InvalidDataException">the file cannot be decoded.</exception>
    public static VideoTrackingResult Run(
        string videoPath, IPersonDetector detector, ITracker tracker, int maxFrames = int.MaxValue, double? fps = null,
        CancellationToken cancellationToken = default, IProgress<ProgressStatus>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(videoPath);
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(tracker);
        bool pattern = videoPath.Contains('%', StringComparison.Ordinal);
        if (pattern ? !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(videoPath))) : !File.Exists(videoPath))
        {
            throw new FileNotFoundException($"Video file '{videoPath}' not found.", videoPath);
        }

        using var capture = pattern ? new VideoCapture(videoPath, VideoCaptureAPIs.IMAGES) : new VideoCapture(videoPath);
        if (!capture.IsOpened())
        {
            throw new InvalidDataException($"Video file '{videoPath}' could not be opened for decoding.");
        }

        double rate = fps ?? (capture.Fps is > 0 and < 1000 ? capture.Fps : 25);
        var start = DateTimeOffset.UnixEpoch;
        var records = new List<MotRecord>();
        var found = new List<MotRecord>();
        using var mat = new Mat();
        byte[] buffer = [];
        int frames = 0, tracklets = 0, detections = 0;
        long? total = capture.FrameCount > 0 ? Math.Min(maxFrames, capture.FrameCount) : maxFrames < int.MaxValue ? maxFrames : null;
        var clock = Stopwatch.StartNew();
        while (frames < maxFrames && capture.Read(mat) && !mat.Empty())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (mat.Type() != MatType.CV_8UC3)
            {
                throw new InvalidDataException($"Video file '{videoPath}' decodes to {mat.Type()}, not 8-bit BGR.");
            }

            frames++;
            var image = BgrImage.FromMat(mat, buffer);
            buffer = image.ToArray();
            var people = detector.Detect([image])[0];
            detections += people.Count;
            found.AddRange(people.Select(d => new MotRecord(frames, -1, d.Box, d.Score)));
            var update = tracker.Update(image, start + TimeSpan.FromSeconds((frames - 1) / rate), people);
            tracklets += update.Tracklets.Count(t => t.IsFinal);
            records.AddRange(update.Tracks.Select(t => new MotRecord(frames, t.TrackId, t.Box, t.Score)));
            progress?.Report(new ProgressStatus(frames, total, "frames", $"{detections} detections, {tracklets} tracklets ended"));
        }

        tracklets += tracker.Flush().Count;
        if (frames == 0)
        {
            throw new InvalidDataException($"Video file '{videoPath}' gave no frames.");
        }

        return new VideoTrackingResult(StitchedIds.Apply(tracker, records), frames, tracklets, detections, clock.Elapsed) { DetectorOutput = found };
    }
}
