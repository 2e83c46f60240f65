using OpenCvSharp;

namespace ReId.Trainer.Tests;

/// <summary>Small image datasets written by the tests into a temporary folder.</summary>
internal sealed class TinyData : IDisposable
{
    public TinyData()
    {
        Root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "reid-train-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Writes a small JPEG: a person-like block whose colours encode the identity, plus per-frame noise.</summary>
    public string Image(string relative, int identity, int frame = 0, int width = 32, int height = 64)
    {
        string path = Path(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var mat = new Mat(height, width, MatType.CV_8UC3, new Scalar(90, 90, 90));
        var random = new Random((identity * 1000) + frame);
        var top = new Scalar((identity * 53) % 256, (identity * 97) % 256, (identity * 31) % 256);
        var bottom = new Scalar((identity * 17) % 256, (identity * 71) % 256, (identity * 113) % 256);
        int shift = random.Next(3);
        Cv2.Rectangle(mat, new Rect(4 + shift, 2, width - 8, height / 2 - 2), top, -1);
        Cv2.Rectangle(mat, new Rect(4 + shift, height / 2, width - 8, height / 2 - 2), bottom, -1);
        Cv2.ImWrite(path, mat);
        return path;
    }

    /// <summary>A CUHK03-style folder: identities x 2 cameras x imagesPerCamera crops.</summary>
    public string Cuhk03(int identities, int imagesPerCamera = 2, string folder = "cuhk03", int firstIdentity = 0)
    {
        for (int p = firstIdentity; p < firstIdentity + identities; p++)
        {
            for (int k = 0; k < imagesPerCamera; k++)
            {
                Image(System.IO.Path.Combine(folder, $"{p:D4}_{k:D2}.jpg"), p, k);
                Image(System.IO.Path.Combine(folder, $"{p:D4}_{k + 5:D2}.jpg"), p, k + 5);
            }
        }

        return Path(folder);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
    }
}
