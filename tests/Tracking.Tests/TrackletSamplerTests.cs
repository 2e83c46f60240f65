using OpenCvSharp;
using ReId.Detection;

namespace ReId.Tracking.Tests;

public class TrackletSamplerTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    [Test]
    public void Select_LongTrack_OneSamplePerChunkSpreadOverTheDuration()
    {
        using var frame = Noise(640, 480);
        var sampler = new TrackletSampler(8);
        for (int f = 0; f < 400; f++)
        {
            sampler.Offer(frame, T0 + TimeSpan.FromMilliseconds(40 * f), new Box(100, 100, 50, 150), 0.9f, 0);
        }

        var (samples, best) = sampler.Select(new Random(1));

        Assert.That(samples, Has.Count.EqualTo(8));
        Assert.That(sampler.CandidateCount, Is.LessThanOrEqualTo(16), "bounded memory");
        var chunkOf = samples.Select(s => (int)((s.Time - T0).TotalMilliseconds / (40.0 * 400 / 8))).ToList();
        Assert.That(chunkOf, Is.EqualTo(Enumerable.Range(0, 8)), "one sample from each eighth of the track");
        Assert.That(best, Is.Not.Null);
    }

    [Test]
    public void Select_BlurredAndOccludedFrames_ArePassedOver()
    {
        using var sharp = Noise(640, 480);
        using var blurred = sharp.GaussianBlur(new Size(31, 31), 8);
        var sampler = new TrackletSampler(4);
        for (int f = 0; f < 40; f++)
        {
            // Frames alternate: sharp and clear / blurred / sharp but heavily occluded.
            var (frame, occlusion) = (f % 3) switch { 0 => (sharp, 0f), 1 => (blurred, 0f), _ => (sharp, 0.7f) };
            sampler.Offer(frame, T0 + TimeSpan.FromMilliseconds(100 * f), new Box(200, 100, 60, 180), 0.9f, occlusion);
        }

        var (samples, _) = sampler.Select(new Random(1));

        Assert.That(samples, Has.Count.EqualTo(4));
        Assert.That(samples.All(s => s.Occlusion == 0 && s.Sharpness > 100), Is.True,
            string.Join(", ", samples.Select(s => $"occ {s.Occlusion} sharp {s.Sharpness:0}")));
    }

    [Test]
    public void Offer_BoxOutsideFrame_KeepsNothing()
    {
        using var frame = Noise(320, 240);
        var sampler = new TrackletSampler(4);
        sampler.Offer(frame, T0, new Box(400, 300, 50, 100), 0.9f, 0);
        Assert.That(sampler.CandidateCount, Is.Zero);
    }

    [Test]
    public void Offer_CropContent_IsTheBoxResized()
    {
        using var frame = new Mat(240, 320, MatType.CV_8UC3, new Scalar(0, 0, 0));
        frame[new Rect(100, 50, 40, 80)].SetTo(new Scalar(10, 20, 30));
        var sampler = new TrackletSampler(1);

        sampler.Offer(frame, T0, new Box(100, 50, 40, 80), 0.9f, 0);

        var crop = sampler.Select(new Random(1)).Samples.Single().Crop;
        Assert.That(crop.Length, Is.EqualTo(128 * 256 * 3));
        Assert.That(new[] { crop[0], crop[1], crop[2], crop[^3], crop[^2], crop[^1] }, Is.EqualTo(new byte[] { 10, 20, 30, 10, 20, 30 }));
    }

    private static Mat Noise(int width, int height)
    {
        var mat = new Mat(height, width, MatType.CV_8UC3);
        Cv2.Randu(mat, new Scalar(0, 0, 0), new Scalar(255, 255, 255));
        return mat;
    }
}
