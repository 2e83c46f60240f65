using OpenCvSharp;
using ReId.Host.Pipeline;

namespace ReId.Host.Http;

/// <summary>An uploaded image that is not a JPEG or PNG picture of a usable size.</summary>
internal sealed class BadImageException(string message) : Exception(message);

/// <summary>Checks and decodes an uploaded person image (JPEG or PNG) into BGR24 pixels.</summary>
internal static class ImageUpload
{
    public const int MinSide = 16;
    public const int MaxSide = 4096;

    /// <summary>The format named by the file's first bytes, or null when it is neither JPEG nor PNG.</summary>
    public static string? Sniff(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return "jpeg";
        }

        ReadOnlySpan<byte> png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        return data.StartsWith(png) ? "png" : null;
    }

    public static Crop Decode(byte[] data, string name)
    {
        if (Sniff(data) is null)
        {
            throw new BadImageException($"'{name}' is not a JPEG or PNG image");
        }

        using var mat = Cv2.ImDecode(data, ImreadModes.Color);
        if (mat.Empty())
        {
            throw new BadImageException($"'{name}' could not be decoded (a damaged JPEG or PNG)");
        }

        if (mat.Width < MinSide || mat.Height < MinSide || mat.Width > MaxSide || mat.Height > MaxSide)
        {
            throw new BadImageException($"'{name}' is {mat.Width}x{mat.Height}: each side must be {MinSide} to {MaxSide} pixels");
        }

        return BgrImage.FromMat(mat);
    }
}
