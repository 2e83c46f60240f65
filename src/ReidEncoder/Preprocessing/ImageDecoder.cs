using OpenCvSharp;

namespace ReId.ReidEncoder;

/// <summary>Decodes image files and uploads (JPEG, PNG, ...) into BGR24 crops.</summary>
public static class ImageDecoder
{
    /// <summary>Encoded bytes -> crop; throws InvalidDataException when they are not a decodable image.</summary>
    public static Crop Decode(byte[] encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.Length == 0) throw new InvalidDataException("the image is empty.");
        using var mat = Cv2.ImDecode(encoded, ImreadModes.Color);
        if (mat.Empty()) throw new InvalidDataException($"the {encoded.Length} bytes given are not an image OpenCV can decode.");
        return BgrImage.FromMat(mat);
    }

    /// <summary>Reads and decodes an image file.</summary>
    public static Crop Load(string path) => Decode(File.ReadAllBytes(path));
}
