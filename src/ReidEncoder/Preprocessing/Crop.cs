namespace ReId.ReidEncoder;

/// <summary>A person crop: packed BGR24 pixels, row after row, no padding. Any size; preprocessing resizes it.</summary>
public readonly record struct Crop(ReadOnlyMemory<byte> Bgr, int Width, int Height)
{
    /// <summary>Throws naming the mismatch when the buffer does not hold Width x Height x 3 bytes.</summary>
    public void Validate()
    {
        if (Width <= 0 || Height <= 0) throw new ArgumentException($"crop size {Width}x{Height} must be positive.");
        long expected = (long)Width * Height * 3;
        if (Bgr.Length != expected)
        {
            throw new ArgumentException($"crop {Width}x{Height} needs {expected} BGR24 bytes, got {Bgr.Length}.");
        }
    }
}
