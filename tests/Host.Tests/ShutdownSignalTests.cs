using Microsoft.Extensions.Time.Testing;
using ReId.Host.Commands;

namespace ReId.Host.Tests;

public sealed class ShutdownSignalTests
{
    [Test]
    public void Request_CancelsTheTokenAndGivesUpOnlyAfterTheTimeout()
    {
        var time = new FakeTimeProvider();
        TimeSpan? gaveUp = null;
        using var signal = new ShutdownSignal(t => gaveUp = t, time, listen: false) { Timeout = TimeSpan.FromSeconds(30) };

        signal.Request();

        Assert.That(signal.Token.IsCancellationRequested, Is.True);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.That(gaveUp, Is.Null, "the stop still has time");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(gaveUp, Is.EqualTo(TimeSpan.FromSeconds(30)));
    }

    [Test]
    public void Request_Twice_GivesUpAtOnce()
    {
        var time = new FakeTimeProvider();
        TimeSpan? gaveUp = null;
        using var signal = new ShutdownSignal(t => gaveUp = t, time, listen: false);

        signal.Request();
        signal.Request();

        Assert.That(gaveUp, Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public void NoRequest_NeverGivesUp()
    {
        var time = new FakeTimeProvider();
        TimeSpan? gaveUp = null;
        using var signal = new ShutdownSignal(t => gaveUp = t, time, listen: false) { Timeout = TimeSpan.FromSeconds(1) };

        time.Advance(TimeSpan.FromMinutes(5));

        Assert.That((signal.Token.IsCancellationRequested, gaveUp), Is.EqualTo((false, (TimeSpan?)null)));
    }
}
