namespace ReId.ReidEncoder;

/// <summary>Restricted random sampling (DRSA): N chunks of equal length, one frame from each.</summary>
public static class FrameSampling
{
    /// <summary>
    /// Indices of n frames out of count: chunk i covers [i*count/n, (i+1)*count/n); with a random generator one
    /// random frame per chunk (training), without it the first frame of each chunk (inference). With fewer
    /// frames than n, frames repeat (chunk i takes frame floor(i*count/n)).
    /// </summary>
    public static int[] Sample(int count, int n, Random? random = null)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "a tracklet needs at least one frame.");
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "at least one frame must be sampled.");
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int start = (int)((long)i * count / n);
            int end = Math.Max(start + 1, (int)((long)(i + 1) * count / n));
            result[i] = random is null ? start : random.Next(start, end);
        }
        return result;
    }
}
