using System.Buffers;
using OpenCvSharp;

namespace ReId.Detection;

/// <summary>A view over a BGR24 frame (3 bytes a pixel, rows packed). Nothing is copied.</summary>
public readonly struct BgrImage
{
    /// <summary>Wraps <paramref name="pixels"/>, which must hold exactly width x height x 3 bytes.</summary>
    public BgrImage(ReadOnlyMemory<byte> pixels, int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentException($"An image needs a positive size; got {width}x{height}.", nameof(width));
        }

        long expected = (long)width * height * 3;
        if (pixels.Length != expected)
        {
            throw new ArgumentException(
                $"A {width}x{height} BGR24 image needs {expected} bytes; got {pixels.Length}.", nameof(pixels));
        }

        Pixels = pixels;
        Width = width;
        Height = height;
    }

    public ReadOnlyMemory<byte> Pixels { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>True for the default value, which holds no pixels.</summary>
    public bool IsEmpty => Width == 0;

    /// <summary>
    /// Pins the pixels and wraps them in a <see cref="Mat"/> header; dispose the result before the memory goes.
    /// The Mat must be treated as read-only.
    /// </summary>
    internal PinnedMat Pin()
    {
        if (IsEmpty)
        {
            throw new InvalidOperationException("The image is empty.");
        }

        var handle = Pixels.Pin();
        unsafe
        {
            var mat = Mat.FromPixelData(Height, Width, MatType.CV_8UC3, (IntPtr)handle.Pointer);
            return new PinnedMat(mat, handle);
        }
    }
}

/// <summary>A Mat over pinned managed memory; disposing releases both.</summary>
internal sealed class PinnedMat(Mat mat, MemoryHandle handle) : IDisposable
{
    private MemoryHandle _handle = handle;

    public Mat Mat { get; } = mat;

    public void Dispose()
    {
        Mat.Dispose();
        _handle.Dispose();
    }
}
