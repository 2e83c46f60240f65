namespace ReId.Tracking.Tests;

public class KalmanFilterTests
{
    [Test]
    public void Predict_AfterSteadyMotion_ForecastsNextPosition()
    {
        var mean = new double[8];
        var cov = new double[64];
        KalmanFilterXyah.Initiate([100, 200, 0.4, 150], mean, cov);
        for (int step = 1; step <= 20; step++)
        {
            KalmanFilterXyah.Predict(mean, cov);
            KalmanFilterXyah.Update(mean, cov, [100 + (5.0 * step), 200 - (2.0 * step), 0.4, 150]);
        }

        KalmanFilterXyah.Predict(mean, cov);

        Assert.Multiple(() =>
        {
            Assert.That(mean[0], Is.EqualTo(205).Within(1.0), "cx one step ahead");
            Assert.That(mean[1], Is.EqualTo(158).Within(1.0), "cy one step ahead");
            Assert.That(mean[4], Is.EqualTo(5).Within(0.3), "vx learnt");
            Assert.That(mean[5], Is.EqualTo(-2).Within(0.3), "vy learnt");
            Assert.That(mean[3], Is.EqualTo(150).Within(1.0), "height kept");
        });
    }

    [Test]
    public void Update_Measurement_ShrinksPositionUncertainty()
    {
        var mean = new double[8];
        var cov = new double[64];
        KalmanFilterXyah.Initiate([0, 0, 0.5, 100], mean, cov);
        KalmanFilterXyah.Predict(mean, cov);
        double before = cov[0];

        KalmanFilterXyah.Update(mean, cov, [3, 0, 0.5, 100]);

        Assert.That(cov[0], Is.LessThan(before));
        Assert.That(mean[0], Is.GreaterThan(0).And.LessThan(3), "the estimate moves towards the measurement");
    }

    [Test]
    public void Predict_Covariance_StaysSymmetric()
    {
        var mean = new double[8];
        var cov = new double[64];
        KalmanFilterXyah.Initiate([10, 20, 0.5, 80], mean, cov);
        for (int i = 0; i < 5; i++)
        {
            KalmanFilterXyah.Predict(mean, cov);
            KalmanFilterXyah.Update(mean, cov, [10 + i, 20, 0.5, 80 + i]);
        }

        for (int i = 0; i < 8; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                Assert.That(cov[(i * 8) + j], Is.EqualTo(cov[(j * 8) + i]).Within(1e-9));
            }
        }
    }

    [Test]
    public void Invert4_SpdMatrix_GivesIdentityProduct()
    {
        double[] a = [4, 1, 0, 0.5, 1, 3, 0.2, 0, 0, 0.2, 2, 0.1, 0.5, 0, 0.1, 5];
        var inv = new double[16];
        KalmanFilterXyah.Invert4(a, inv);
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                double sum = 0;
                for (int k = 0; k < 4; k++)
                {
                    sum += a[(i * 4) + k] * inv[(k * 4) + j];
                }

                Assert.That(sum, Is.EqualTo(i == j ? 1 : 0).Within(1e-12));
            }
        }
    }
}
