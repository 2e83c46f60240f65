using ReId.Detection;
using ReId.Tracking;

namespace ReId.Host.Pipeline.Adapters;

/// <summary>The Detection stage's detector (YOLOX or HOG) over the pipeline's frames.</summary>
internal sealed class DetectorAdapter(IPersonDetector detector) : IFrameDetector
{
    public string Name => detector.Name;

    public string Description => detector.Description;

    public IReadOnlyList<IReadOnlyList<DetectedPerson>> Detect(IReadOnlyList<IFrame> frames)
    {
        var images = frames.Select(f => new BgrImage(f.Bgr, f.Width, f.Height)).ToList();
        var found = detector.Detect(images);
        return [.. found.Select(list => (IReadOnlyList<DetectedPerson>)[.. list.Select(d => new DetectedPerson(new Box(d.Box.X, d.Box.Y, d.Box.Width, d.Box.Height), d.Score))])];
    }

    public void Dispose() => detector.Dispose();
}

/// <summary>
/// One camera's tracker from the Tracking stage. Only final tracklets (the track ended) become sightings, so a
/// person is stored once per track (the tracker drops tracks shorter than Tracking:MinFrames).
/// </summary>
internal sealed class TrackerAdapter(ITracker tracker) : ICameraTracker
{
    public IReadOnlyList<Pipeline.Tracklet> Update(IFrame frame, IReadOnlyList<DetectedPerson> detections)
    {
        var update = tracker.Update(
            new BgrImage(frame.Bgr, frame.Width, frame.Height), frame.CaptureTime,
            [.. detections.Select(d => new PersonDetection(new BoxF(d.Box.X, d.Box.Y, d.Box.W, d.Box.H), d.Score))]);
        return Convert(update.Tracklets);
    }

    public IReadOnlyList<Pipeline.Tracklet> Flush() => Convert(tracker.Flush());

    private List<Pipeline.Tracklet> Convert(IReadOnlyList<ReId.Tracking.Tracklet> tracklets) =>
        [.. tracklets.Where(t => t.IsFinal && t.Samples.Count > 0).Select(t => new Pipeline.Tracklet(
            t.CameraId, t.TrackId, t.FirstSeen, t.LastSeen,
            [.. t.Samples.Select(s => new Pipeline.TrackletSample(s.Time, new Box(s.Box.X, s.Box.Y, s.Box.Width, s.Box.Height),
                new Crop(s.Crop.ToArray(), ReId.Tracking.TrackletSample.CropWidth, ReId.Tracking.TrackletSample.CropHeight)))],
            t.ThumbnailJpeg))];
}
