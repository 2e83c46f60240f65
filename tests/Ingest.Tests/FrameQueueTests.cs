namespace ReId.Ingest.Tests;

public sealed class FrameQueueTests
{
    private static VideoFrame Frame(FrameBufferPool pool, long sequence) =>
        new("cam", sequence, DateTimeOffset.UnixEpoch, 4, 4, pool.Rent(), pool);

    [Test]
    public void Publish_FullQueue_DropsOldestCountsAndReturnsBuffer()
    {
        var pool = new FrameBufferPool(4 * 4 * 3, retainLimit: 8);
        var queue = new FrameQueue(capacity: 3);
        for (var i = 0; i < 10; i++)
        {
            Assert.That(queue.Publish(Frame(pool, i)), Is.True);
        }

        var kept = new List<long>();
        while (queue.Reader.TryRead(out var frame))
        {
            kept.Add(frame.Sequence);
            frame.Dispose();
        }

        Assert.Multiple(() =>
        {
            Assert.That(kept, Is.EqualTo(new long[] { 7, 8, 9 }));
            Assert.That(queue.Dropped, Is.EqualTo(7));
            Assert.That(queue.Delivered, Is.EqualTo(3));
            Assert.That(pool.Outstanding, Is.Zero);
            // Dropped buffers went back to the pool and were reused: at most capacity + 1 ever allocated.
            Assert.That(pool.Allocated, Is.LessThanOrEqualTo(4));
        });
    }

    [Test]
    public async Task Publish_WaitModeFullQueue_WaitsForConsumerAndDropsNothing()
    {
        var pool = new FrameBufferPool(4 * 4 * 3, retainLimit: 8);
        var queue = new FrameQueue(capacity: 2, QueueFullMode.Wait);
        var writer = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < 20; i++)
            {
                queue.Publish(Frame(pool, i));
            }

            queue.Complete();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var kept = new List<long>();
        await foreach (var frame in queue.Reader.ReadAllAsync())
        {
            kept.Add(frame.Sequence);
            frame.Dispose();
        }

        await writer;
        Assert.Multiple(() =>
        {
            Assert.That(kept, Is.EqualTo(Enumerable.Range(0, 20).Select(i => (long)i)));
            Assert.That(queue.Dropped, Is.Zero);
            Assert.That(queue.Delivered, Is.EqualTo(20));
            Assert.That(pool.Outstanding, Is.Zero);
        });
    }

    [Test]
    public void Publish_WaitModeFullQueueCancelled_ThrowsAndDisposesFrame()
    {
        var pool = new FrameBufferPool(48, retainLimit: 4);
        var queue = new FrameQueue(capacity: 1, QueueFullMode.Wait);
        Assert.That(queue.Publish(Frame(pool, 0)), Is.True);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.That(() => queue.Publish(Frame(pool, 1), cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
        queue.DisposeQueued();
        Assert.That(pool.Outstanding, Is.Zero);
    }

    [Test]
    public void Publish_WaitModeCompletedWhileFull_ReturnsFalseAndDisposesFrame()
    {
        var pool = new FrameBufferPool(48, retainLimit: 4);
        var queue = new FrameQueue(capacity: 1, QueueFullMode.Wait);
        queue.Publish(Frame(pool, 0));
        queue.Complete();

        Assert.That(queue.Publish(Frame(pool, 1)), Is.False);
        queue.DisposeQueued();
        Assert.That(pool.Outstanding, Is.Zero);
    }

    [Test]
    public void Publish_AfterComplete_DisposesFrame()
    {
        var pool = new FrameBufferPool(48, retainLimit: 2);
        var queue = new FrameQueue(capacity: 2);
        queue.Complete();
        Assert.Multiple(() =>
        {
            Assert.That(queue.Publish(Frame(pool, 0)), Is.False);
            Assert.That(pool.Outstanding, Is.Zero);
        });
    }

    [Test]
    public void Dispose_Twice_ReturnsBufferOnceAndBgrThrows()
    {
        var pool = new FrameBufferPool(48, retainLimit: 2);
        var frame = Frame(pool, 0);
        Assert.That(frame.Bgr.Length, Is.EqualTo(48));
        frame.Dispose();
        frame.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(pool.Outstanding, Is.Zero);
            Assert.That(() => frame.Bgr, Throws.TypeOf<ObjectDisposedException>());
        });
    }
}
