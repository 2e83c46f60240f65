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
        return ToCrop(mat);
    }

    /// <summary>Reads and decodes an image file.</summary>
    public static Crop Load(string path) => Decode(File.ReadAllBytes(path));

    private static Crop ToCrop(Mat mat)
    {
        int width = mat.Width, height = mat.Height;
        var bytes = new byte[width * height * 3];
        if (mat.IsContinuous())
        {
            System.Runtime.InteropServices.Marshal.Copy(mat.Data, bytes, 0, bytes.Length);
        }
        else
        {
            using var packed = mat.Clone();
            System.Runtime.InteropServices.Marshal.Copy(packed.Data, bytes, 0, bytes.Length);
        }
        return new Crop(bytes, width, height);
    }
}
