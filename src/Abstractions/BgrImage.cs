using System.Buffers;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace ReId;

/// <summary>
/// The one BGR image type of the pipeline: a view over packed BGR24 pixels (3 bytes a pixel, B, G, R, rows top to
/// bottom, no padding). Frames, detector input, person crops and encoder input are all this type; nothing is copied
/// when it passes from stage to stage. Whoever owns the memory (a pooled frame buffer, a crop array) keeps it alive.
/// The encoder and the trainer call one a <c>Crop</c> (a global alias, see Directory.Build.props).
/// </summary>
public readonly struct BgrImage : IEquatable<BgrImage>
{
    /// <summary>Wraps <paramref name="bgr"/>, which must hold exactly width x height x 3 bytes.</summary>
    /// <exception cref="ArgumentException">the size is not positive or the buffer does not fit it.</exception>
    public BgrImage(ReadOnlyMemory<byte> bgr, int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentException($"image size {width}x{height} must be positive.", nameof(width));
        }

        long expected = (long)width * height * 3;
        if (bgr.Length != expected)
        {
            throw new ArgumentException($"image {width}x{height} needs {expected} BGR24 bytes, got {bgr.Length}.", nameof(bgr));
        }

        Bgr = bgr;
        Width = width;
        Height = height;
    }

    /// <summary>Width x Height x 3 bytes.</summary>
    public ReadOnlyMemory<byte> Bgr { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>True for the default value, which holds no pixels.</summary>
    public bool IsEmpty => Width == 0;

    /// <summary>Throws for the default (empty) value; a constructed image is always valid.</summary>
    /// <exception cref="ArgumentException">the image is empty.</exception>
    public void Validate()
    {
        if (IsEmpty)
        {
            throw new ArgumentException("image size 0x0 must be positive.");
        }
    }

    /// <summary>
    /// Pins the pixels and wraps them in a <see cref="Mat"/> header (no copy); dispose the result before the memory
    /// goes. The Mat must be treated as read-only.
    /// </summary>
    public PinnedMat Pin()
    {
        Validate();
        var handle = Bgr.Pin();
        unsafe
        {
            return new PinnedMat(Mat.FromPixelData(Height, Width, MatType.CV_8UC3, (IntPtr)handle.Pointer), handle);
        }
    }

    /// <summary>A copy mirrored left to right (the second view of a flip-averaged embedding).</summary>
    public BgrImage Mirrored()
    {
        Validate();
        var input = Bgr.Span;
        var output = new byte[input.Length];
        int row = Width * 3;
        for (int y = 0; y < Height; y++)
        {
            var from = input.Slice(y * row, row);
            var to = output.AsSpan(y * row, row);
            for (int x = 0; x < Width; x++)
            {
                from.Slice(x * 3, 3).CopyTo(to.Slice((Width - 1 - x) * 3, 3));
            }
        }

        return new BgrImage(output, Width, Height);
    }

    /// <summary>
    /// The one "Mat to packed BGR bytes" copy: an 8-bit 3-channel <paramref name="mat"/> (continuous or a region
    /// of a larger one) copied into <paramref name="buffer"/> when it has the right length, else into a new array.
    /// </summary>
    /// <exception cref="ArgumentException">the Mat is empty or not 8-bit BGR.</exception>
    public static BgrImage FromMat(Mat mat, byte[]? buffer = null)
    {
        ArgumentNullException.ThrowIfNull(mat);
        if (mat.Empty() || mat.Type() != MatType.CV_8UC3)
        {
            throw new ArgumentException($"expected a non-empty 8-bit BGR image, got {mat.Type()} {mat.Width}x{mat.Height}.", nameof(mat));
        }

        int width = mat.Width, height = mat.Height, length = width * height * 3;
        var bytes = buffer is not null && buffer.Length == length ? buffer : new byte[length];
        if (mat.IsContinuous())
        {
            Marshal.Copy(mat.Data, bytes, 0, length);
        }
        else
        {
            using var packed = mat.Clone();
            Marshal.Copy(packed.Data, bytes, 0, length);
        }

        return new BgrImage(bytes, width, height);
    }

    /// <summary>The pixels as an array: the backing array itself when the image spans all of one, else a copy.</summary>
    public byte[] ToArray() =>
        MemoryMarshal.TryGetArray(Bgr, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : Bgr.ToArray();

    /// <inheritdoc/>
    public bool Equals(BgrImage other) => Width == other.Width && Height == other.Height && Bgr.Equals(other.Bgr);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BgrImage other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Bgr, Width, Height);

    public static bool operator ==(BgrImage left, BgrImage right) => left.Equals(right);

    public static bool operator !=(BgrImage left, BgrImage right) => !left.Equals(right);
}

/// <summary>A Mat over pinned managed memory; disposing releases both.</summary>
public sealed class PinnedMat : IDisposable
{
    private MemoryHandle _handle;

    internal PinnedMat(Mat mat, MemoryHandle handle)
    {
        Mat = mat;
        _handle = handle;
    }

    /// <summary>The Mat header over the pinned pixels.</summary>
    public Mat Mat { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Mat.Dispose();
        _handle.Dispose();
    }
}
