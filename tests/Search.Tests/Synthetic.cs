using System.Numerics.Tensors;

namespace ReId.Search.Tests;

/// <summary>Seeded synthetic embeddings: a person is a random unit direction, a sighting a noisy copy.</summary>
internal sealed class Synthetic(int seed)
{
    public const string Model = "drsa-test-v1";
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly Random _random = new(seed);

    public float[] Person()
    {
        var v = new float[ReId.Search.Sighting.Dimension];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = Gaussian();
        }

        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        return v;
    }

    /// <summary>A noisy view of a person: cosine to it about 1/sqrt(1+noise^2).</summary>
    public float[] View(float[] person, float noise = 0.3f)
    {
        var v = new float[ReId.Search.Sighting.Dimension];
        var scale = noise / MathF.Sqrt(ReId.Search.Sighting.Dimension);
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = person[i] + scale * Gaussian();
        }

        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        return v;
    }

    public Sighting Sighting(string camera, long track, double startMinutes, float[] embedding, double durationSeconds = 20, string model = Model, bool thumbnail = true)
    {
        var first = T0.AddMinutes(startMinutes);
        var last = first.AddSeconds(durationSeconds);
        SightingSample[] samples =
        [
            new(first, new Box(10, 20, 40, 100)),
            new(first.AddSeconds(durationSeconds / 2), new Box(50 + track, 22, 41, 101)),
            new(last, new Box(90, 24, 42, 102)),
        ];
        return new Sighting(Guid.CreateVersion7(), camera, track, first, last, model, embedding, samples,
            thumbnail ? [0xFF, 0xD8, (byte)track, (byte)camera.Length, 0xFF, 0xD9] : null);
    }

    private float Gaussian()
    {
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
