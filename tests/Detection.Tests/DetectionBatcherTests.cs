using Microsoft.Extensions.Time.Testing;

namespace ReId.Detection.Tests;

public class DetectionBatcherTests
{
    [Test]
    public async Task DetectAsync_FullBatch_RunsWithoutWaiting()
    {
        var time = new FakeTimeProvider();
        var detector = new RecordingDetector();
        await using var batcher = new DetectionBatcher(detector, 3, TimeSpan.FromSeconds(10), time);

        var tasks = Enumerable.Range(0, 3).Select(i => batcher.DetectAsync(Image(i + 1))).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(results.Select(r => r[0].Score), Is.EqualTo(new[] { 1f, 2f, 3f }), "each frame gets its own result");
        Assert.That(detector.BatchSizes.Sum(), Is.EqualTo(3));
        Assert.That(detector.BatchSizes.Max(), Is.LessThanOrEqualTo(3));
    }

    [Test]
    public async Task DetectAsync_LoneFrame_RunsAloneOnceMaxWaitPasses()
    {
        var time = new FakeTimeProvider();
        var detector = new RecordingDetector();
        await using var batcher = new DetectionBatcher(detector, 4, TimeSpan.FromMilliseconds(50), time);

        var task = batcher.DetectAsync(Image(7));
        await Task.Delay(200);
        Assert.That(task.IsCompleted, Is.False, "waits for other cameras while the fake clock stands still");

        for (int i = 0; i < 200 && !task.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(10);
        }

        var result = await task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(result[0].Score, Is.EqualTo(7f));
        Assert.That(detector.BatchSizes, Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public async Task DetectAsync_DetectorThrows_FailsThatBatchOnlyAndKeepsRunning()
    {
        var detector = new RecordingDetector { FailOnScore = 13 };
        await using var batcher = new DetectionBatcher(detector, 1, TimeSpan.Zero);

        var bad = batcher.DetectAsync(Image(13));
        await Assert.ThrowsAsync<InvalidDataException>(async () => await bad.WaitAsync(TimeSpan.FromSeconds(30)));
        var good = await batcher.DetectAsync(Image(2)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(good[0].Score, Is.EqualTo(2f));
    }

    [Test]
    public async Task DisposeAsync_PendingFrames_AreCancelled()
    {
        var time = new FakeTimeProvider();
        var batcher = new DetectionBatcher(new RecordingDetector(), 8, TimeSpan.FromSeconds(5), time);
        var task = batcher.DetectAsync(Image(1));

        await batcher.DisposeAsync();

        Assert.That(task.IsCanceled, Is.True);
        Assert.Throws<ObjectDisposedException>(() => batcher.DetectAsync(Image(1)));
    }

    [Test]
    public async Task DetectAsync_ThreeCamerasAtOnceWithYolox_SameAsDetectingAlone()
    {
        using var detector = DetectorRegistry.Create(new DetectorOptions { ModelPath = SharedData.YoloxModel, BatchSize = 3 });
        var frames = new[] { 50, 300, 600 }.Select(i => TestImages.VideoFrame(SharedData.Vtest, i)).ToArray();
        var alone = frames.Select(f => detector.Detect([f])[0]).ToArray();
        await using var batcher = new DetectionBatcher(detector, 3, TimeSpan.FromMilliseconds(20));

        var cameras = frames.Select(f => Task.Run(() => batcher.DetectAsync(f))).ToArray();
        var together = await Task.WhenAll(cameras).WaitAsync(TimeSpan.FromSeconds(60));

        for (int i = 0; i < frames.Length; i++)
        {
            Assert.That(together[i].Select(d => d.Box), Is.EqualTo(alone[i].Select(d => d.Box)), $"camera {i}");
        }

        Assert.That(batcher.Frames, Is.EqualTo(3));
    }

    /// <summary>A 1x1 image whose blue value the fake detector returns as the score, to tell frames apart.</summary>
    private static BgrImage Image(int value) => new(new byte[] { (byte)value, 0, 0 }, 1, 1);

    private sealed class RecordingDetector : IPersonDetector
    {
        public List<int> BatchSizes { get; } = [];

        public int? FailOnScore { get; init; }

        public string Name => "recording";

        public string Description => "records batch sizes";

        public int MaxBatch => 16;

        public IReadOnlyList<IReadOnlyList<PersonDetection>> Detect(IReadOnlyList<BgrImage> images)
        {
            lock (BatchSizes)
            {
                BatchSizes.Add(images.Count);
            }

            return images.Select(i =>
            {
                float v = i.Bgr.Span[0];
                if (v == FailOnScore)
                {
                    throw new InvalidDataException("bad frame");
                }

                return (IReadOnlyList<PersonDetection>)[new PersonDetection(new Box(0, 0, 1, 1), v)];
            }).ToList();
        }

        public void Dispose()
        {
        }
    }
}
