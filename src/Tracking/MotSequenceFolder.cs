using System.Globalization;

namespace ReId.Tracking;

/// <summary>
/// A MOTChallenge sequence folder: <c>seqinfo.ini</c> (name, frame rate, length, image folder and extension),
/// <c>img1/</c> frames, <c>det/det.txt</c> public detections, <c>gt/gt.txt</c> ground truth. Every part but the
/// folder is optional; what is absent is null.
/// </summary>
public sealed record MotSequenceFolder(
    string Folder, string Name, double? FrameRate, int? Length, string ImageFolder, string ImageExtension)
{
    /// <summary>det/det.txt when it exists.</summary>
    public string? Detections => ExistingFile("det", "det.txt");

    /// <summary>gt/gt.txt when it exists.</summary>
    public string? GroundTruth => ExistingFile("gt", "gt.txt");

    /// <summary>The frames as an OpenCV image-sequence pattern (<c>img1/%06d.jpg</c>) when the image folder exists.</summary>
    public string? FramePattern =>
        Directory.Exists(Path.Combine(Folder, ImageFolder)) ? Path.Combine(Folder, ImageFolder, "%06d" + ImageExtension) : null;

    /// <summary>Reads the folder's seqinfo.ini (when present; else the name is the folder's).</summary>
    /// <exception cref="DirectoryNotFoundException">the folder is absent.</exception>
    /// <exception cref="FormatException">seqinfo.ini has a bad frame rate or length.</exception>
    public static MotSequenceFolder Read(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Sequence folder '{folder}' not found.");
        }

        string full = Path.GetFullPath(folder);
        string ini = Path.Combine(full, "seqinfo.ini");
        var values = File.Exists(ini) ? ParseIni(File.ReadLines(ini)) : [];
        return new MotSequenceFolder(
            full,
            values.GetValueOrDefault("name") ?? Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)),
            Number(values, "framerate", ini),
            Number(values, "seqlength", ini) is { } length ? (int)length : null,
            values.GetValueOrDefault("imdir") ?? "img1",
            values.GetValueOrDefault("imext") ?? ".jpg");
    }

    /// <summary>key=value lines (keys lower-cased); section headers and ';' or '#' comments are skipped.</summary>
    internal static Dictionary<string, string> ParseIni(IEnumerable<string> lines)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in lines)
        {
            string line = raw.Trim();
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] is '[' or ';' or '#' || eq <= 0)
            {
                continue;
            }

            values[line[..eq].Trim().ToLowerInvariant()] = line[(eq + 1)..].Trim();
        }

        return values;
    }

    private static double? Number(Dictionary<string, string> values, string key, string source)
    {
        if (!values.TryGetValue(key, out var text))
        {
            return null;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0
            ? value
            : throw new FormatException($"{source}: {key}={text} is not a positive number.");
    }

    private string? ExistingFile(string folder, string file)
    {
        string path = Path.Combine(Folder, folder, file);
        return File.Exists(path) ? path : null;
    }
}
