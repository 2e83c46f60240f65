using System.Diagnostics;
using OpenCvSharp;

namespace ReId.Tracking;

/// <summary>What tracking a video file gave: per-frame tracks as MOT records (frames from 1), and counts.</summary>
public sealed record VideoTrackingResult(
    IReadOnlyList<MotRecord> Tracks, int Frames, int Tracklets, int Detections, TimeSpan Elapsed);

/// <summary>Runs detection and tracking over a local video file (decoded with OpenCV's FFmpeg backend).</summary>
public static class VideoTracking
{
    /// <exception cref="FileNotFoundException">the video file is absent.</exception>
    /// <exception cref="InvalidDataException">the file cannot be decoded.</exception>
    public static VideoTrackingResult Run(
        string videoPath, IPersonDetector detector, ITracker tracker, int maxFrames = int.MaxValue,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(tracker);
        if (!File.Exists(videoPath))
        {
            throw new FileNotFoundException($"Video file '{videoPath}' not found.", videoPath);
        }

        using var capture = new VideoCapture(videoPath);
        if (!capture.IsOpened())
        {
            throw new InvalidDataException($"Video file '{videoPath}' could not be opened for decoding.");
        }

        double fps = capture.Fps is > 0 and < 1000 ? capture.Fps : 25;
        var start = DateTimeOffset.UnixEpoch;
        var records = new List<MotRecord>();
        using var mat = new Mat();
        byte[] buffer = [];
        int frames = 0, tracklets = 0, detections = 0;
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
            var found = detector.Detect([image])[0];
            detections += found.Count;
            var update = tracker.Update(image, start + TimeSpan.FromSeconds((frames - 1) / fps), found);
            tracklets += update.Tracklets.Count(t => t.IsFinal);
            records.AddRange(update.Tracks.Select(t => new MotRecord(frames, t.TrackId, t.Box, t.Score)));
        }

        tracklets += tracker.Flush().Count;
        if (frames == 0)
        {
            throw new InvalidDataException($"Video file '{videoPath}' gave no frames.");
        }

        return new VideoTrackingResult(records, frames, tracklets, detections, clock.Elapsed);
    }
}
