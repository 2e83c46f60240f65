using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using ReId.Host.Pipeline;

namespace ReId.Host.Tests;

/// <summary>The pipeline's detection stage: batching across cameras with a longest wait (what bench detect drives).</summary>
public sealed class DetectLoopTests
{
    [Test]
    public async Task RunAsync_FullBatch_RunsWithoutWaiting()
    {
        var time = new FakeTimeProvider();
        var detector = new RecordingDetector();
        var loop = new DetectLoop<Frame>(detector, 3, TimeSpan.FromSeconds(10), f => f.Image, time);
        var input = Channel.CreateUnbounded<Frame>();
        var results = new List<float>();
        for (var i = 1; i <= 3; i++)
        {
            input.Writer.TryWrite(new Frame(i));
        }

        var run = loop.RunAsync(input.Reader, (f, found, _) => { results.Add(found[0].Score); f.Dispose(); return ValueTask.CompletedTask; });
        await WaitUntilAsync(() => results.Count == 3);

        Assert.That(results, Is.EqualTo(new[] { 1f, 2f, 3f }), "each frame gets its own result, in order");
        Assert.That(detector.BatchSizes, Is.EqualTo(new[] { 3 }), "one detector call for the full batch, the fake clock standing still");
        input.Writer.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task RunAsync_LoneFrame_RunsAloneOnceBatchWaitPasses()
    {
        var time = new FakeTimeProvider();
        var detector = new RecordingDetector();
        var loop = new DetectLoop<Frame>(detector, 4, TimeSpan.FromMilliseconds(50), f => f.Image, time);
        var input = Channel.CreateUnbounded<Frame>();
        var results = new List<float>();
        var run = loop.RunAsync(input.Reader, (f, found, _) => { results.Add(found[0].Score); f.Dispose(); return ValueTask.CompletedTask; });

        input.Writer.TryWrite(new Frame(7));
        await Task.Delay(200);
        Assert.That(results, Is.Empty, "waits for other cameras while the fake clock stands still");

        for (var i = 0; i < 200 && results.Count == 0; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(10);
        }

        Assert.That(results, Is.EqualTo(new[] { 7f }));
        Assert.That(detector.BatchSizes, Is.EqualTo(new[] { 1 }));
        input.Writer.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task RunAsync_DetectorThrows_DisposesThatBatchAndFails()
    {
        var detector = new RecordingDetector { FailOnScore = 13 };
        var loop = new DetectLoop<Frame>(detector, 2, TimeSpan.Zero, f => f.Image);
        var input = Channel.CreateUnbounded<Frame>();
        var frames = new[] { new Frame(2), new Frame(13) };
        foreach (var f in frames)
        {
            input.Writer.TryWrite(f);
        }

        var handedOn = 0;
        await Assert.ThrowsAsync<InvalidDataException>(() => loop.RunAsync(input.Reader, (_, _, _) => { handedOn++; return ValueTask.CompletedTask; }));

        Assert.That(handedOn, Is.Zero, "no frame of the failed batch goes on");
        Assert.That(frames.All(f => f.Disposed), Is.True, "the failed batch's frames went back to their pools");
        // The pipeline restarts the stage (PipelineTests); the next run goes on with the next frames.
        input.Writer.TryWrite(new Frame(3));
        input.Writer.Complete();
        var after = new List<float>();
        await loop.RunAsync(input.Reader, (f, found, _) => { after.Add(found[0].Score); return ValueTask.CompletedTask; }).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(after, Is.EqualTo(new[] { 3f }));
    }

    [Test]
    public async Task RunAsync_StoppedWhileTheBatchFills_DisposesItsFrames()
    {
        var time = new FakeTimeProvider();
        var loop = new DetectLoop<Frame>(new RecordingDetector(), 8, TimeSpan.FromSeconds(5), f => f.Image, time);
        var input = Channel.CreateUnbounded<Frame>();
        var frame = new Frame(1);
        input.Writer.TryWrite(frame);
        using var stop = new CancellationTokenSource();

        var run = loop.RunAsync(input.Reader, (_, _, _) => ValueTask.CompletedTask, cancellationToken: stop.Token);
        await Task.Delay(100);
        await stop.CancelAsync();

        Assert.That(async () => await run.WaitAsync(TimeSpan.FromSeconds(30)), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(frame.Disposed, Is.True);
        Assert.That(loop.Batches, Is.Zero);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }

    /// <summary>A 1x1 frame whose blue value the fake detector returns as the score, to tell frames apart.</summary>
    private sealed class Frame(int value) : IDisposable
    {
        public BgrImage Image { get; } = new(new byte[] { (byte)value, 0, 0 }, 1, 1);

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

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
