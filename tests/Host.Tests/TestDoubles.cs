using ReId.Host.Pipeline;

namespace ReId.Host.Tests;

/// <summary>
/// A small deterministic encoder for tests of the composition and the API: the embedding is the crops' mean
/// colour (B, G, R) spread over 128 dimensions, so crops of like colour score high together.
/// </summary>
internal sealed class MeanColourEmbedder(string version = "colour-1") : ITrackletEmbedder
{
    public string ModelVersion { get; } = version;
    public bool Disposed { get; private set; }
    public int Calls { get; private set; }

    public Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<IReadOnlyList<Crop>> tracklets, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Calls++;
        return Task.FromResult<IReadOnlyList<float[]>>([.. tracklets.Select(Embed)]);
    }

    public static float[] Embed(IReadOnlyList<Crop> crops)
    {
        double b = 0, g = 0, r = 0, n = 0;
        foreach (var c in crops)
        {
            for (var i = 0; i + 2 < c.Bgr.Length; i += 3)
            {
                b += c.Bgr[i];
                g += c.Bgr[i + 1];
                r += c.Bgr[i + 2];
                n++;
            }
        }

        var v = new float[128];
        for (var i = 0; i < v.Length; i++)
        {
            // Centred colour so that different colours point in different directions.
            v[i] = (float)((i % 3) switch { 0 => b / n - 128, 1 => g / n - 128, _ => r / n - 128 }) + 0.01f;
        }

        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

internal static class TestImages
{
    public static Crop Solid(byte b, byte g, byte r, int width = 128, int height = 256)
    {
        var bytes = new byte[width * height * 3];
        for (var i = 0; i < bytes.Length; i += 3)
        {
            bytes[i] = b;
            bytes[i + 1] = g;
            bytes[i + 2] = r;
        }

        return new Crop(bytes, width, height);
    }

    public static byte[] Encode(Crop crop, string extension)
    {
        using var mat = OpenCvSharp.Mat.FromPixelData(crop.Height, crop.Width, OpenCvSharp.MatType.CV_8UC3, crop.Bgr);
        OpenCvSharp.Cv2.ImEncode(extension, mat, out var bytes);
        return bytes;
    }
}
