namespace ReId.Tracking;

/// <summary>
/// Constant-velocity Kalman filter on (cx, cy, aspect w/h, height) and their velocities, one step a frame, with
/// noise proportional to the box height (as in ByteTrack / DeepSORT). Matrices are row-major arrays.
/// </summary>
internal static class KalmanFilterXyah
{
    private const double StdPosition = 1.0 / 20;
    private const double StdVelocity = 1.0 / 160;

    /// <summary>A new state for a first measurement (cx, cy, a, h): zero velocity, wide uncertainty.</summary>
    public static void Initiate(ReadOnlySpan<double> z, Span<double> mean, Span<double> cov)
    {
        double h = z[3];
        for (int i = 0; i < 4; i++)
        {
            mean[i] = z[i];
            mean[i + 4] = 0;
        }

        Span<double> std = [2 * StdPosition * h, 2 * StdPosition * h, 1e-2, 2 * StdPosition * h,
                            10 * StdVelocity * h, 10 * StdVelocity * h, 1e-5, 10 * StdVelocity * h];
        cov.Clear();
        for (int i = 0; i < 8; i++)
        {
            cov[(i * 8) + i] = std[i] * std[i];
        }
    }

    /// <summary>One step ahead: x += v; P = F P F^T + Q.</summary>
    public static void Predict(Span<double> mean, Span<double> cov)
    {
        double h = mean[3];
        for (int i = 0; i < 4; i++)
        {
            mean[i] += mean[i + 4];
        }

        // F P F^T with F = [[I, I], [0, I]]: add velocity rows to position rows, then columns likewise.
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                cov[(i * 8) + j] += cov[((i + 4) * 8) + j];
            }
        }

        for (int j = 0; j < 4; j++)
        {
            for (int i = 0; i < 8; i++)
            {
                cov[(i * 8) + j] += cov[(i * 8) + j + 4];
            }
        }

        Span<double> q = [StdPosition * h, StdPosition * h, 1e-2, StdPosition * h,
                          StdVelocity * h, StdVelocity * h, 1e-5, StdVelocity * h];
        for (int i = 0; i < 8; i++)
        {
            cov[(i * 8) + i] += q[i] * q[i];
        }
    }

    /// <summary>Corrects the state with measurement z (cx, cy, a, h).</summary>
    public static void Update(Span<double> mean, Span<double> cov, ReadOnlySpan<double> z)
    {
        double h = mean[3];
        Span<double> r = [StdPosition * h, StdPosition * h, 1e-1, StdPosition * h];

        // S = H P H^T + R is the top-left 4x4 block of P plus R.
        Span<double> s = stackalloc double[16];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                s[(i * 4) + j] = cov[(i * 8) + j];
            }

            s[(i * 4) + i] += r[i] * r[i];
        }

        Span<double> sInv = stackalloc double[16];
        Invert4(s, sInv);

        // K = P H^T S^-1 (8x4): P H^T is the first four columns of P.
        Span<double> k = stackalloc double[32];
        for (int i = 0; i < 8; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                double sum = 0;
                for (int m = 0; m < 4; m++)
                {
                    sum += cov[(i * 8) + m] * sInv[(m * 4) + j];
                }

                k[(i * 4) + j] = sum;
            }
        }

        Span<double> innovation = stackalloc double[4];
        for (int j = 0; j < 4; j++)
        {
            innovation[j] = z[j] - mean[j];
        }

        for (int i = 0; i < 8; i++)
        {
            double sum = 0;
            for (int j = 0; j < 4; j++)
            {
                sum += k[(i * 4) + j] * innovation[j];
            }

            mean[i] += sum;
        }

        // P -= K S K^T, and K S = P H^T, so P -= K (H P) where H P is the first four rows of P.
        Span<double> hp = stackalloc double[32];
        cov[..32].CopyTo(hp);
        for (int i = 0; i < 8; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                double sum = 0;
                for (int m = 0; m < 4; m++)
                {
                    sum += k[(i * 4) + m] * hp[(m * 8) + j];
                }

                cov[(i * 8) + j] -= sum;
            }
        }
    }

    /// <summary>Inverse of a symmetric positive definite 4x4 matrix by Gauss-Jordan elimination.</summary>
    internal static void Invert4(ReadOnlySpan<double> a, Span<double> inv)
    {
        Span<double> m = stackalloc double[32];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                m[(i * 8) + j] = a[(i * 4) + j];
                m[(i * 8) + j + 4] = i == j ? 1 : 0;
            }
        }

        for (int c = 0; c < 4; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < 4; r++)
            {
                if (Math.Abs(m[(r * 8) + c]) > Math.Abs(m[(pivot * 8) + c]))
                {
                    pivot = r;
                }
            }

            if (pivot != c)
            {
                for (int j = 0; j < 8; j++)
                {
                    (m[(c * 8) + j], m[(pivot * 8) + j]) = (m[(pivot * 8) + j], m[(c * 8) + j]);
                }
            }

            double d = m[(c * 8) + c];
            if (Math.Abs(d) < 1e-300)
            {
                throw new InvalidOperationException("The innovation covariance is singular.");
            }

            for (int j = 0; j < 8; j++)
            {
                m[(c * 8) + j] /= d;
            }

            for (int r = 0; r < 4; r++)
            {
                if (r == c)
                {
                    continue;
                }

                double f = m[(r * 8) + c];
                if (f == 0)
                {
                    continue;
                }

                for (int j = 0; j < 8; j++)
                {
                    m[(r * 8) + j] -= f * m[(c * 8) + j];
                }
            }
        }

        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                inv[(i * 4) + j] = m[(i * 8) + j + 4];
            }
        }
    }
}
