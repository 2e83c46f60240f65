using System.Buffers.Binary;
using OpenCvSharp;
using ReId.Host.Pipeline;

namespace ReId.Host.Http;

/// <summary>An uploaded image that is not a JPEG or PNG picture of a usable size.</summary>
/// <param name="status">415 for what is no JPEG or PNG; 422 for a damaged one or one of a size that is not taken.</param>
internal sealed class BadImageException(string message, int status = 422) : Exception(message)
{
    public int Status { get; } = status;
}

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

    /// <summary>
    /// The width and height the file's header declares, read without decoding: a decoder allocates what the header
    /// says, so a small file declaring 20000x20000 pixels (a decompression bomb) must be refused here.
    /// </summary>
    /// <exception cref="BadImageException">Neither JPEG nor PNG, or no readable size in the header.</exception>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> data, string name)
    {
        return Sniff(data) switch
        {
            "png" => PngSize(data, name),
            "jpeg" => JpegSize(data, name),
            _ => throw new BadImageException($"'{name}' is not a JPEG or PNG image", 415),
        };
    }

    /// <summary>
    /// Checks every image's declared size, and their sum against <paramref name="maxPixels"/>, before any is decoded;
    /// then decodes them one by one. A search thus decodes at most <paramref name="maxPixels"/> pixels however many images it sends.
    /// </summary>
    /// <exception cref="BadImageException">An image is no JPEG or PNG, damaged, or of a size not taken; or all are too many pixels together.</exception>
    public static List<Crop> DecodeAll(IReadOnlyList<(string Name, byte[] Data)> images, int maxPixels)
    {
        long total = 0;
        foreach (var (name, data) in images)
        {
            var (width, height) = ReadSize(data, name);
            CheckSize(name, width, height, maxPixels);
            total += (long)width * height;
        }

        if (total > maxPixels)
        {
            throw new BadImageException(
                $"the {images.Count} images are {total} pixels together: at most {maxPixels} are decoded for one search (Http:MaxSearchPixels); send fewer or smaller crops");
        }

        return [.. images.Select(i => Decode(i.Data, i.Name, maxPixels))];
    }

    /// <summary>Checks the declared size against the limits, then decodes.</summary>
    /// <exception cref="BadImageException">Not a JPEG or PNG, too small or too large (before decoding), or damaged.</exception>
    public static Crop Decode(byte[] data, string name, int maxPixels)
    {
        var (width, height) = ReadSize(data, name);
        CheckSize(name, width, height, maxPixels);
        using var mat = Cv2.ImDecode(data, ImreadModes.Color);
        if (mat.Empty())
        {
            throw new BadImageException($"'{name}' could not be decoded (a damaged JPEG or PNG)");
        }

        // The decoder must have followed the header; refuse anything else rather than trust it.
        CheckSize(name, mat.Width, mat.Height, maxPixels);
        return BgrImage.FromMat(mat);
    }

    private static void CheckSize(string name, long width, long height, int maxPixels)
    {
        if (width < MinSide || height < MinSide)
        {
            throw new BadImageException($"'{name}' is {width}x{height}: each side must be at least {MinSide} pixels");
        }

        if (width > MaxSide || height > MaxSide || width * height > maxPixels)
        {
            throw new BadImageException(
                $"'{name}' is {width}x{height} = {width * height} pixels: at most {maxPixels} pixels are decoded for one search (Http:MaxSearchPixels), " +
                $"{MaxSide} per side; send a crop of the person");
        }
    }

    private static (int, int) PngSize(ReadOnlySpan<byte> data, string name)
    {
        // Signature (8), then the first chunk must be IHDR: length 13, type, width and height as big-endian uint32.
        if (data.Length < 24 || BinaryPrimitives.ReadUInt32BigEndian(data[8..]) != 13 || !data[12..16].SequenceEqual("IHDR"u8))
        {
            throw new BadImageException($"'{name}' is a damaged PNG (no IHDR header)");
        }

        return (Side(BinaryPrimitives.ReadUInt32BigEndian(data[16..])), Side(BinaryPrimitives.ReadUInt32BigEndian(data[20..])));
    }

    private static (int, int) JpegSize(ReadOnlySpan<byte> data, string name)
    {
        // Walk the marker segments after SOI up to the first start-of-frame (SOF0-SOF15 but DHT C4, JPG C8, DAC CC).
        var i = 2;
        while (i + 4 <= data.Length)
        {
            if (data[i] != 0xFF)
            {
                break;
            }

            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                i += 2; // markers without a length
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                break; // end of image or start of scan before any frame header
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (length < 8 || i + 9 > data.Length)
                {
                    break;
                }

                var height = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 5)..]);
                var width = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 7)..]);
                return (width, height);
            }

            if (length < 2)
            {
                break;
            }

            i += 2 + length;
        }

        throw new BadImageException($"'{name}' is a damaged JPEG (no frame header with its size)");
    }

    private static int Side(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;
}
