using System.Runtime.InteropServices;
using OpenCvSharp;
using ReId.Detection;

namespace ReId.Tracking.Tests;

/// <summary>A person walking a straight path at constant speed between two frames (feet position, pixels).</summary>
/// <remarks><see cref="Alpha"/> fades the crop's own background at its sides so the person, not a rectangle, stands out.</remarks>
internal sealed record Actor(int Id, Mat Sprite, float[] Alpha, int FirstFrame, int LastFrame, Point2f From, Point2f To);

/// <summary>
/// A synthetic scene with known truth: real people (CUHK03 crops) pasted onto a real empty background (the
/// per-pixel median of vtest frames), nearer people (lower feet) drawn over farther ones.
/// </summary>
internal sealed class Scene : IDisposable
{
    private static readonly Lazy<byte[]> BackgroundPixels = new(BuildBackground);
    private readonly List<Actor> _actors = [];

    public const int Width = 768;
    public const int Height = 576;
    public const double Fps = 10;

    public IReadOnlyList<Actor> Actors => _actors;

    public int Frames { get; init; } = 60;

    public static Scene Create(int frames) => new() { Frames = frames };

    /// <summary>Adds person <paramref name="person"/> (CUHK03 id) scaled to <paramref name="height"/> pixels.</summary>
    public Scene Add(int person, int height, int firstFrame, int lastFrame, Point2f from, Point2f to)
    {
        string file = Path.Combine(SharedData.Cuhk03Train, $"{person:D4}_00.jpg");
        using var src = Cv2.ImRead(file, ImreadModes.Color);
        Assert.That(src.Empty(), Is.False, $"cannot read {file}");
        int width = (int)Math.Round(src.Width * (double)height / src.Height);
        var sprite = src.Resize(new Size(width, height), 0, 0, InterpolationFlags.Area);
        _actors.Add(new Actor(_actors.Count + 1, sprite, Feather(width, height), firstFrame, lastFrame, from, to));
        return this;
    }

    /// <summary>The unclipped box of an actor in a frame, or null when it is not in the scene then.</summary>
    public static Box? BoxOf(Actor a, int frame)
    {
        if (frame < a.FirstFrame || frame > a.LastFrame)
        {
            return null;
        }

        float t = a.LastFrame == a.FirstFrame ? 0 : (float)(frame - a.FirstFrame) / (a.LastFrame - a.FirstFrame);
        float fx = a.From.X + ((a.To.X - a.From.X) * t), fy = a.From.Y + ((a.To.Y - a.From.Y) * t);
        return new Box(MathF.Round(fx - (a.Sprite.Width / 2f)), MathF.Round(fy - a.Sprite.Height), a.Sprite.Width, a.Sprite.Height);
    }

    /// <summary>Truth of a frame (0-based): id, box clipped to the frame, fraction visible (not hidden, not cut).</summary>
    public List<(int Id, Box Box, float Visible)> Truth(int frame)
    {
        var present = _actors.Select(a => (a, box: BoxOf(a, frame))).Where(p => p.box is not null)
            .Select(p => (p.a, box: p.box!.Value)).ToList();
        var truth = new List<(int, Box, float)>();
        foreach (var (a, box) in present)
        {
            var clipped = box.ClipTo(Width, Height);
            if (clipped.Area < 1)
            {
                continue;
            }

            float hidden = present.Where(o => o.a != a && o.box.Bottom > box.Bottom).Sum(o => clipped.Intersection(o.box.ClipTo(Width, Height)));
            float visible = MathF.Max(0, clipped.Area - hidden) / box.Area;
            truth.Add((a.Id, clipped, visible));
        }

        return truth;
    }

    /// <summary>Renders frame <paramref name="frame"/> (0-based) as packed BGR24.</summary>
    public byte[] Render(int frame)
    {
        var pixels = (byte[])BackgroundPixels.Value.Clone();
        foreach (var a in _actors.Where(a => BoxOf(a, frame) is not null).OrderBy(a => BoxOf(a, frame)!.Value.Bottom))
        {
            var box = BoxOf(a, frame)!.Value;
            var clipped = box.ClipTo(Width, Height);
            if (clipped.Width < 1 || clipped.Height < 1)
            {
                continue;
            }

            var dst = new Rect((int)clipped.X, (int)clipped.Y, (int)clipped.Width, (int)clipped.Height);
            var src = new Rect(dst.X - (int)box.X, dst.Y - (int)box.Y, dst.Width, dst.Height);
            Blend(pixels, a, src, dst);
        }

        return pixels;
    }

    /// <summary>Ground truth of the whole scene as MOT records (frames from 1).</summary>
    public List<MotRecord> GroundTruth() =>
        Enumerable.Range(0, Frames).SelectMany(f => Truth(f).Select(t => new MotRecord(f + 1, t.Id, t.Box))).ToList();

    public static DateTimeOffset TimeOf(int frame) => DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds(frame / Fps);

    public void Dispose()
    {
        foreach (var a in _actors)
        {
            a.Sprite.Dispose();
        }
    }

    /// <summary>Opaque in the middle 60% of the width and 92% of the height, fading to clear at the edges.</summary>
    private static float[] Feather(int width, int height)
    {
        var alpha = new float[width * height];
        for (int y = 0; y < height; y++)
        {
            float fy = Math.Clamp((0.5f - MathF.Abs(((y + 0.5f) / height) - 0.5f)) / 0.04f, 0, 1);
            for (int x = 0; x < width; x++)
            {
                float fx = Math.Clamp((0.5f - MathF.Abs(((x + 0.5f) / width) - 0.5f)) / 0.2f, 0, 1);
                alpha[(y * width) + x] = fx * fy;
            }
        }

        return alpha;
    }

    private static void Blend(byte[] canvas, Actor a, Rect src, Rect dst)
    {
        var sprite = a.Sprite;
        int sw = sprite.Width;
        var spriteBytes = new byte[sw * sprite.Height * 3];
        Marshal.Copy(sprite.Data, spriteBytes, 0, spriteBytes.Length);
        for (int y = 0; y < dst.Height; y++)
        {
            for (int x = 0; x < dst.Width; x++)
            {
                int si = ((src.Y + y) * sw) + src.X + x;
                float alpha = a.Alpha[si];
                int ci = (((dst.Y + y) * Width) + dst.X + x) * 3;
                for (int c = 0; c < 3; c++)
                {
                    canvas[ci + c] = (byte)((alpha * spriteBytes[(si * 3) + c]) + ((1 - alpha) * canvas[ci + c]) + 0.5f);
                }
            }
        }
    }

    private static byte[] BuildBackground()
    {
        const int samples = 15;
        var frames = new List<byte[]>();
        using (var capture = new VideoCapture(SharedData.Vtest))
        {
            int count = (int)capture.Get(VideoCaptureProperties.FrameCount);
            using var mat = new Mat();
            for (int i = 0; i < samples; i++)
            {
                capture.Set(VideoCaptureProperties.PosFrames, i * (count - 1) / (samples - 1));
                Assert.That(capture.Read(mat), Is.True, "cannot read vtest");
                Assert.That(mat.Width == Width && mat.Height == Height, Is.True, "vtest is expected at 768x576");
                var bytes = new byte[Width * Height * 3];
                Marshal.Copy(mat.Data, bytes, 0, bytes.Length);
                frames.Add(bytes);
            }
        }

        var median = new byte[Width * Height * 3];
        Span<byte> values = stackalloc byte[samples];
        for (int p = 0; p < median.Length; p++)
        {
            for (int k = 0; k < samples; k++)
            {
                values[k] = frames[k][p];
            }

            values.Sort();
            median[p] = values[samples / 2];
        }

        return median;
    }
}
