namespace ReId.Trainer.Evaluation;

/// <summary>CMC ranks and mean average precision of a query-against-gallery evaluation, in percent.</summary>
public sealed record ReidMetrics(double Rank1, double Rank5, double Rank10, double Rank20, double MeanAp, int Queries, int QueriesWithoutMatch)
{
    public string ToTableRow(string name) =>
        FormattableString.Invariant($"| {name} | {Rank1:F1} | {Rank5:F1} | {Rank10:F1} | {Rank20:F1} | {MeanAp:F1} | {Queries} |");

    public const string TableHeader = "| model | rank-1 | rank-5 | rank-10 | rank-20 | mAP | queries |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |";
}

/// <summary>
/// Re-id evaluation at tracklet level: each tracklet in turn is the query; the gallery is every tracklet of another
/// camera (the usual cross-camera protocol). Queries whose person never appears in the gallery are left out
/// and counted.
/// </summary>
public static class Metrics
{
    public static ReidMetrics Evaluate(
        IReadOnlyList<float[]> embeddings, IReadOnlyList<string> identities, IReadOnlyList<int> cameras)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(identities);
        ArgumentNullException.ThrowIfNull(cameras);
        if (embeddings.Count != identities.Count || embeddings.Count != cameras.Count)
        {
            throw new ArgumentException("Embeddings, identities and cameras must have one entry per tracklet.");
        }

        var queries = Enumerable.Range(0, embeddings.Count).ToArray();
        return Evaluate(queries, queries, embeddings, identities, cameras);
    }

    /// <summary>Given query and gallery indices into the same arrays (they may overlap; same-camera pairs never count).</summary>
    public static ReidMetrics Evaluate(
        IReadOnlyList<int> queries, IReadOnlyList<int> gallery,
        IReadOnlyList<float[]> embeddings, IReadOnlyList<string> identities, IReadOnlyList<int> cameras)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(gallery);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(identities);
        ArgumentNullException.ThrowIfNull(cameras);
        var cmc = new double[20];
        double apSum = 0;
        int valid = 0, without = 0;
        foreach (int q in queries)
        {
            var candidates = gallery.Where(g => cameras[g] != cameras[q])
                .Select(g => (g, Score: Dot(embeddings[q], embeddings[g])))
                .OrderByDescending(x => x.Score).ThenBy(x => x.g)
                .Select(x => string.Equals(identities[x.g], identities[q], StringComparison.Ordinal))
                .ToArray();
            int matches = candidates.Count(m => m);
            if (matches == 0)
            {
                without++;
                continue;
            }

            valid++;
            int first = Array.IndexOf(candidates, true);
            for (int r = first; r < cmc.Length; r++)
            {
                cmc[r]++;
            }

            double hits = 0, precisionSum = 0;
            for (int i = 0; i < candidates.Length; i++)
            {
                if (candidates[i])
                {
                    hits++;
                    precisionSum += hits / (i + 1);
                }
            }

            apSum += precisionSum / matches;
        }

        if (valid == 0)
        {
            throw new InvalidOperationException(
                "No query has a match of the same identity in another camera: nothing to evaluate.");
        }

        double P(int rank) => 100.0 * cmc[rank - 1] / valid;
        return new ReidMetrics(P(1), P(5), P(10), P(20), 100.0 * apSum / valid, valid, without);
    }

    private static float Dot(float[] a, float[] b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }
}
