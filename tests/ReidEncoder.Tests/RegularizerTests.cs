using static TorchSharp.torch;

namespace ReId.ReidEncoder.Tests;

public class RegularizerTests
{
    private const int K = 6;
    private const int L = 32;

    private static Tensor OneHotMasks(Func<int, int> cellOfModel, int frames = 1)
    {
        var values = new float[frames * K * L];
        for (int n = 0; n < frames; n++)
        {
            for (int k = 0; k < K; k++) values[(((n * K) + k) * L) + cellOfModel(k)] = 1f;
        }
        return tensor(values, [1, frames, K, L]);
    }

    [Test]
    public void Hellinger_DisjointOneHotMasks_IsZero()
    {
        using var scope = NewDisposeScope();
        var q = Regularizers.Compute(OneHotMasks(k => k * 5), DiversityRegularizer.Hellinger);
        Assert.That(q.item<float>(), Is.EqualTo(0f).Within(1e-6f));
    }

    [Test]
    public void Hellinger_IdenticalMasks_IsKSquaredMinusKPerFrame()
    {
        using var scope = NewDisposeScope();
        // Every row of S has unit norm, so identical rows give S S^T = all ones: K^2 - K off-diagonal ones.
        float byHand = (K * K) - K; // 30
        var uniform = full(new long[] { 1, 1, K, L }, 1f / L);
        Assert.That(Regularizers.Compute(uniform, DiversityRegularizer.Hellinger).item<float>(), Is.EqualTo(byHand).Within(1e-4f));
        var sameCell = OneHotMasks(_ => 3, frames: 2);
        Assert.That(Regularizers.Compute(sameCell, DiversityRegularizer.Hellinger).item<float>(), Is.EqualTo(2 * byHand).Within(1e-4f));
    }

    [Test]
    public void RawMasks_UniformMasks_GivesTheValueComputedByHand()
    {
        using var scope = NewDisposeScope();
        // A A^T = 1/L everywhere: diagonal (1/L - 1)^2 K times, off-diagonal (1/L)^2 K(K-1) times.
        double byHand = (K * Math.Pow((1.0 / L) - 1, 2)) + (K * (K - 1) * Math.Pow(1.0 / L, 2));
        var uniform = full(new long[] { 1, 1, K, L }, 1f / L);
        var q = Regularizers.Compute(uniform, DiversityRegularizer.RawMasks).item<float>();
        Assert.That(q, Is.EqualTo(byHand).Within(1e-5));
        // Q' punishes spread-out masks although they are identical: it is below the Hellinger value for them.
        Assert.That(q, Is.LessThan((K * K) - K));
    }

    [Test]
    public void RawMasks_OneHotMasks_AgreeWithHellinger()
    {
        using var scope = NewDisposeScope();
        // On one-hot masks the square root changes nothing.
        Assert.That(Regularizers.Compute(OneHotMasks(k => k), DiversityRegularizer.RawMasks).item<float>(), Is.EqualTo(0f).Within(1e-6f));
        Assert.That(Regularizers.Compute(OneHotMasks(_ => 0), DiversityRegularizer.RawMasks).item<float>(), Is.EqualTo((K * K) - K).Within(1e-5f));
    }

    [Test]
    public void None_IsZero()
    {
        using var scope = NewDisposeScope();
        Assert.That(Regularizers.Compute(OneHotMasks(_ => 0), DiversityRegularizer.None).item<float>(), Is.Zero);
    }

    [Test]
    public void Compute_AveragesOverTracklets()
    {
        using var scope = NewDisposeScope();
        var collapsed = OneHotMasks(_ => 0);
        var disjoint = OneHotMasks(k => k);
        var q = Regularizers.Compute(cat([collapsed, disjoint], 0), DiversityRegularizer.Hellinger).item<float>();
        Assert.That(q, Is.EqualTo(((K * K) - K) / 2f).Within(1e-4f));
    }
}
