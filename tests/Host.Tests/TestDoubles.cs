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
    public int Dimension { get; init; } = 128;

    public Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<IReadOnlyList<BgrImage>> tracklets, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Calls++;
        return Task.FromResult<IReadOnlyList<float[]>>([.. tracklets.Select(Embed)]);
    }

    public static float[] Embed(IReadOnlyList<BgrImage> crops)
    {
        double b = 0, g = 0, r = 0, n = 0;
        foreach (var c in crops)
        {
            var px = c.Bgr.Span;
            for (var i = 0; i + 2 < px.Length; i += 3)
            {
                b += px[i];
                g += px[i + 1];
                r += px[i + 2];
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
    public static BgrImage Solid(byte b, byte g, byte r, int width = 128, int height = 256)
    {
        var bytes = new byte[width * height * 3];
        for (var i = 0; i < bytes.Length; i += 3)
        {
            bytes[i] = b;
            bytes[i + 1] = g;
            bytes[i + 2] = r;
        }

        return new BgrImage(bytes, width, height);
    }

    /// <summary>A final tracklet as the tracker gives it when a track ends.</summary>
    public static ReId.Tracking.Tracklet Tracklet(
        string camera, long track, DateTimeOffset first, DateTimeOffset last, IReadOnlyList<ReId.Tracking.TrackletSample> samples, byte[] thumbnail) =>
        new(camera, track, first, last, samples, thumbnail, new ReId.Tracking.TrackletQuality(samples.Count, 0, 0.9f, 100, 0, 100), IsFinal: true);

    /// <summary>Stores a sighting of one crop seen <paramref name="samples"/> times a second apart (box x 10, 11, ...).</summary>
    public static Task<string> AddSightingAsync(
        ISightingRepository repository, string camera, long track, DateTimeOffset start, BgrImage crop, int samples, string modelVersion)
    {
        var seen = Enumerable.Range(0, samples).Select(i => new ReId.Tracking.TrackletSample(start.AddSeconds(i), new Box(10 + i, 20, 40, 100), crop)).ToList();
        var tracklet = Tracklet(camera, track, start, start.AddSeconds(samples - 1), seen, Encode(crop, ".jpg"));
        return repository.AddAsync(new NewSighting(tracklet, MeanColourEmbedder.Embed([crop]), modelVersion));
    }

    public static byte[] Encode(BgrImage crop, string extension)
    {
        using var mat = crop.Pin();
        OpenCvSharp.Cv2.ImEncode(extension, mat.Mat, out var bytes);
        return bytes;
    }
}

/// <summary>Keeps every log line (level and message), for tests that check what was logged.</summary>
internal sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
}
