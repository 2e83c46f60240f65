namespace ReId.Trainer.Data;

/// <summary>
/// Restricted random sampling: a tracklet is cut into N chunks of equal length; training takes one random frame
/// of each chunk, test the first frame of each. A tracklet shorter than N repeats frames in order.
/// </summary>
public static class RestrictedSampling
{
    public static int[] Train(int frameCount, int n, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Validate(frameCount, n);
        var picks = new int[n];
        for (int i = 0; i < n; i++)
        {
            (int start, int end) = Chunk(frameCount, n, i);
            picks[i] = start + random.Next(end - start);
        }

        return picks;
    }

    public static int[] Test(int frameCount, int n)
    {
        Validate(frameCount, n);
        return Enumerable.Range(0, n).Select(i => Chunk(frameCount, n, i).Start).ToArray();
    }

    /// <summary>Chunk <paramref name="i"/> as [Start, End); never empty.</summary>
    internal static (int Start, int End) Chunk(int frameCount, int n, int i)
    {
        int start = (int)((long)i * frameCount / n);
        int end = (int)((long)(i + 1) * frameCount / n);
        return (start, Math.Max(end, start + 1));
    }

    private static void Validate(int frameCount, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
    }
}
