namespace ReId;

/// <summary>
/// The one box type: axis-aligned, in frame pixels, left, top, width, height. The detector gives it, the tracker
/// follows it, the store keeps it with each sighting sample, and the API shows it as [x, y, w, h].
/// </summary>
public readonly record struct Box(float X, float Y, float Width, float Height)
{
    public float Right => X + Width;

    public float Bottom => Y + Height;

    public float Area => Width > 0 && Height > 0 ? Width * Height : 0f;

    /// <summary>Intersection over union; 0 when either box is empty.</summary>
    public float Iou(Box other)
    {
        float inter = Intersection(other);
        if (inter <= 0)
        {
            return 0f;
        }

        float union = Area + other.Area - inter;
        return union > 0 ? inter / union : 0f;
    }

    /// <summary>Area shared with <paramref name="other"/>.</summary>
    public float Intersection(Box other)
    {
        float w = MathF.Min(Right, other.Right) - MathF.Max(X, other.X);
        float h = MathF.Min(Bottom, other.Bottom) - MathF.Max(Y, other.Y);
        return w > 0 && h > 0 ? w * h : 0f;
    }

    /// <summary>
    /// This box grown by <paramref name="scale"/> of its width on the left and right and of its height above and
    /// below, about the same centre (the buffered IoU of C-BIoU, Yang et al. 2023: small or fast people whose boxes
    /// no longer overlap from one frame to the next still match).
    /// </summary>
    public Box Buffered(float scale) =>
        scale == 0 ? this : new Box(X - (scale * Width), Y - (scale * Height), Width * (1 + (2 * scale)), Height * (1 + (2 * scale)));

    /// <summary>This box cut to a width x height frame (possibly empty).</summary>
    public Box ClipTo(int width, int height)
    {
        float x0 = Math.Clamp(X, 0, width), y0 = Math.Clamp(Y, 0, height);
        float x1 = Math.Clamp(Right, 0, width), y1 = Math.Clamp(Bottom, 0, height);
        return new Box(x0, y0, MathF.Max(0, x1 - x0), MathF.Max(0, y1 - y0));
    }

    public override string ToString() => FormattableString.Invariant($"[{X:0.#},{Y:0.#} {Width:0.#}x{Height:0.#}]");
}

/// <summary>One person found in a frame: a box in frame pixels and a confidence in [0, 1].</summary>
public readonly record struct PersonDetection(Box Box, float Score);

/// <summary>The size of the person crops the tracker cuts, the store keeps and the encoder is trained on.</summary>
public static class PersonCrop
{
    /// <summary>Crop width in pixels.</summary>
    public const int Width = 128;

    /// <summary>Crop height in pixels.</summary>
    public const int Height = 256;

    /// <summary>Bytes of one BGR24 crop.</summary>
    public const int Bytes = Width * Height * 3;
}

/// <summary>The appearance embedding every sighting carries.</summary>
public static class Embedding
{
    /// <summary>Floats in one embedding: what the store keeps; an encoder model must give this many.</summary>
    public const int Dimension = 128;

    /// <summary>The L2-normalised mean of two embeddings (a flip-averaged embedding from its two views).</summary>
    public static float[] Average(float[] a, float[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var v = new float[a.Length];
        System.Numerics.Tensors.TensorPrimitives.Add(a, b, v);
        return Normalise(v);
    }

    /// <summary>Scales <paramref name="v"/> to unit length in place (a zero vector stays zero) and returns it.</summary>
    internal static float[] Normalise(float[] v)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        if (norm > 0)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
        }

        return v;
    }
}
