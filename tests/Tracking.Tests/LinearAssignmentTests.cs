namespace ReId.Tracking.Tests;

public class LinearAssignmentTests
{
    [Test]
    public void Solve_RandomSquareMatrices_MatchesBruteForce()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            int n = random.Next(1, 7);
            var cost = new double[n, n];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    cost[i, j] = random.NextDouble() * 10;
                }
            }

            var assignment = LinearAssignment.Solve(cost);

            Assert.That(assignment.Distinct().Count(), Is.EqualTo(n), "a permutation");
            double total = Enumerable.Range(0, n).Sum(i => cost[i, assignment[i]]);
            Assert.That(total, Is.EqualTo(BruteForce(cost)).Within(1e-9), $"trial {trial}");
        }
    }

    [Test]
    public void Solve_MoreRowsThanColumns_LeavesCostliestRowsOut()
    {
        var cost = new double[,] { { 5, 9 }, { 1, 8 }, { 7, 2 } };
        Assert.That(LinearAssignment.Solve(cost), Is.EqualTo(new[] { -1, 0, 1 }));
    }

    [Test]
    public void SolveWithLimit_CostlyPairing_PrefersLeavingUnmatched()
    {
        // Full matching would take (0,1) + (1,0) = 1.45; with limit 0.8 leaving row 1 and column 1 out costs less.
        var cost = new double[,] { { 0.1, 0.7 }, { 0.75, 5 } };
        Assert.That(LinearAssignment.SolveWithLimit(cost, 0.8), Is.EqualTo(new[] { (0, 0) }));
    }

    [Test]
    public void SolveWithLimit_PairsAboveLimit_AreNeverTaken()
    {
        var cost = new double[,] { { 0.9, 0.95 }, { 0.3, 0.85 } };
        Assert.That(LinearAssignment.SolveWithLimit(cost, 0.8), Is.EqualTo(new[] { (1, 0) }));
    }

    [Test]
    public void SolveWithLimit_IndependentGroups_SolvedTogetherCorrectly()
    {
        // Two groups far apart: {row0,row1} x {col0,col1} and {row2} x {col2}.
        var cost = new double[,] { { 0.2, 0.3, 1 }, { 0.1, 0.6, 1 }, { 1, 1, 0.4 } };
        var pairs = LinearAssignment.SolveWithLimit(cost, 0.8).OrderBy(p => p.Row).ToList();
        Assert.That(pairs, Is.EqualTo(new[] { (0, 1), (1, 0), (2, 2) }));
    }

    private static double BruteForce(double[,] cost)
    {
        int n = cost.GetLength(0);
        double best = double.MaxValue;
        void Walk(int row, bool[] used, double sum)
        {
            if (row == n)
            {
                best = Math.Min(best, sum);
                return;
            }

            for (int j = 0; j < n; j++)
            {
                if (!used[j])
                {
                    used[j] = true;
                    Walk(row + 1, used, sum + cost[row, j]);
                    used[j] = false;
                }
            }
        }

        Walk(0, new bool[n], 0);
        return best;
    }
}
