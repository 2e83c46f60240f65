using TorchSharp;
using static TorchSharp.torch;

namespace ReId.ReidEncoder.Tests;

public class TorchRuntimeTests
{
    [Test]
    public void Describe_OnThisMachine_LoadsLibTorchAndReportsThreads()
    {
        var info = TorchRuntime.Describe();
        Assert.That(info.Threads, Is.GreaterThan(0));
        Assert.That(info.TorchSharpVersion, Does.StartWith("0.107"));
    }

    [Test]
    public void MatMul_OnCpu_GivesTheProductComputedByHand()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = tensor(new float[] { 7, 8, 9, 10, 11, 12 }, 3, 2);
        var c = matmul(a, b);
        // [1 2 3; 4 5 6] x [7 8; 9 10; 11 12] = [58 64; 139 154]
        Assert.That(c.data<float>().ToArray(), Is.EqualTo(new float[] { 58, 64, 139, 154 }));
    }
}
