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
