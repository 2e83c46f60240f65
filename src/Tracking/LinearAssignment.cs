namespace ReId.Tracking;

/// <summary>
/// Minimum-cost assignment: the shortest-augmenting-path Hungarian method with potentials (Jonker-Volgenant
/// style), O(n^2 m). Used for track-detection association and for the MOT metrics' id matching.
/// </summary>
internal static class LinearAssignment
{
    /// <summary>
    /// Assigns rows to columns minimising the summed cost; every row is assigned when rows &lt;= columns, every
    /// column otherwise. Returns, for each row, its column or -1.
    /// </summary>
    public static int[] Solve(double[,] cost)
    {
        int rows = cost.GetLength(0), cols = cost.GetLength(1);
        if (rows == 0 || cols == 0)
        {
            return Enumerable.Repeat(-1, rows).ToArray();
        }

        if (rows <= cols)
        {
            return SolveTall(rows, cols, (i, j) => cost[i, j]);
        }

        var colToRow = SolveTall(cols, rows, (i, j) => cost[j, i]);
        var rowToCol = Enumerable.Repeat(-1, rows).ToArray();
        for (int c = 0; c < cols; c++)
        {
            if (colToRow[c] >= 0)
            {
                rowToCol[colToRow[c]] = c;
            }
        }

        return rowToCol;
    }

    /// <summary>
    /// Assignment where leaving a row or a column unmatched costs <paramref name="limit"/>/2 each, so no pair
    /// costing more than <paramref name="limit"/> is ever taken (as lapjv's cost_limit). Independent groups of rows
    /// and columns (no pair below the limit between them) are solved apart, which keeps crowded scenes cheap.
    /// </summary>
    public static List<(int Row, int Col)> SolveWithLimit(double[,] cost, double limit)
    {
        int rows = cost.GetLength(0), cols = cost.GetLength(1);
        var pairs = new List<(int, int)>();
        if (rows == 0 || cols == 0)
        {
            return pairs;
        }

        // Usual case, people apart: every row and column has at most one admissible partner.
        var rowCount = new int[rows];
        var colCount = new int[cols];
        var rowPartner = new int[rows];
        bool simple = true;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                if (cost[i, j] < limit)
                {
                    rowPartner[i] = j;
                    simple &= ++rowCount[i] == 1 & ++colCount[j] == 1;
                }
            }
        }

        if (simple)
        {
            for (int i = 0; i < rows; i++)
            {
                if (rowCount[i] == 1)
                {
                    pairs.Add((i, rowPartner[i]));
                }
            }

            return pairs;
        }

        // Union-find over rows (0..rows-1) and columns (rows..rows+cols-1) joined by admissible pairs.
        var parent = new int[rows + cols];
        for (int i = 0; i < parent.Length; i++)
        {
            parent[i] = i;
        }

        int Find(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }

            return x;
        }

        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                if (cost[i, j] < limit)
                {
                    parent[Find(i)] = Find(rows + j);
                }
            }
        }

        var groups = new Dictionary<int, (List<int> Rows, List<int> Cols)>();
        for (int x = 0; x < rows + cols; x++)
        {
            int root = Find(x);
            if (!groups.TryGetValue(root, out var g))
            {
                g = ([], []);
                groups[root] = g;
            }

            (x < rows ? g.Rows : g.Cols).Add(x < rows ? x : x - rows);
        }

        foreach (var (gr, gc) in groups.Values)
        {
            if (gr.Count == 0 || gc.Count == 0)
            {
                continue;
            }

            if (gr.Count == 1 && gc.Count == 1)
            {
                pairs.Add((gr[0], gc[0]));
                continue;
            }

            // Extended square problem: real block, then dummy columns for rows and dummy rows for columns.
            int n = gr.Count + gc.Count;
            var ext = new double[n, n];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    ext[i, j] = i < gr.Count && j < gc.Count
                        ? Math.Min(cost[gr[i], gc[j]], limit + 1)
                        : (i < gr.Count || j < gc.Count ? limit / 2 : 0);
                }
            }

            var assigned = Solve(ext);
            for (int i = 0; i < gr.Count; i++)
            {
                int j = assigned[i];
                if (j >= 0 && j < gc.Count && cost[gr[i], gc[j]] < limit)
                {
                    pairs.Add((gr[i], gc[j]));
                }
            }
        }

        return pairs;
    }

    private static int[] SolveTall(int n, int m, Func<int, int, double> cost)
    {
        // 1-based arrays; column 0 is the virtual start of each augmenting path.
        var u = new double[n + 1];
        var v = new double[m + 1];
        var p = new int[m + 1];
        var way = new int[m + 1];
        var minv = new double[m + 1];
        var used = new bool[m + 1];
        for (int i = 1; i <= n; i++)
        {
            p[0] = i;
            int j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= m; j++)
                {
                    if (used[j])
                    {
                        continue;
                    }

                    double cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if (cur < minv[j])
                    {
                        minv[j] = cur;
                        way[j] = j0;
                    }

                    if (minv[j] < delta)
                    {
                        delta = minv[j];
                        j1 = j;
                    }
                }

                for (int j = 0; j <= m; j++)
                {
                    if (used[j])
                    {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minv[j] -= delta;
                    }
                }

                j0 = j1;
            }
            while (p[j0] != 0);

            do
            {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }

        var result = Enumerable.Repeat(-1, n).ToArray();
        for (int j = 1; j <= m; j++)
        {
            if (p[j] != 0)
            {
                result[p[j] - 1] = j - 1;
            }
        }

        return result;
    }
}
