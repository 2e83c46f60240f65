using System.Globalization;

namespace ReId.Tracking;

/// <summary>One line of a MOTChallenge file: frame (1-based), id, box, confidence (ground truth: 0 = ignore).</summary>
public readonly record struct MotRecord(int Frame, long Id, Box Box, float Confidence = 1f);

/// <summary>Reads and writes the MOTChallenge text format <c>frame,id,x,y,w,h,conf,x,y,z</c>.</summary>
public static class MotFile
{
    /// <summary>Parses MOT lines; blank lines are skipped; a bad line is reported with its number and text.</summary>
    public static List<MotRecord> Parse(TextReader reader, string source = "input")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var records = new List<MotRecord>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var f = line.Split(',', StringSplitOptions.TrimEntries);
            if (f.Length < 6 ||
                !int.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int frame) ||
                !double.TryParse(f[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double id) ||
                !TryFloat(f[2], out float x) || !TryFloat(f[3], out float y) ||
                !TryFloat(f[4], out float w) || !TryFloat(f[5], out float h))
            {
                throw new FormatException(
                    $"{source} line {lineNumber}: expected 'frame,id,x,y,w,h[,conf,...]' with numbers; got '{line}'.");
            }

            float conf = f.Length > 6 && TryFloat(f[6], out float c) ? c : 1f;
            records.Add(new MotRecord(frame, (long)id, new Box(x, y, w, h), conf));
        }

        return records;
    }

    public static List<MotRecord> Read(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    public static void Write(TextWriter writer, IEnumerable<MotRecord> records)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(records);
        foreach (var r in records.OrderBy(r => r.Frame).ThenBy(r => r.Id))
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Frame},{r.Id},{r.Box.X:0.###},{r.Box.Y:0.###},{r.Box.Width:0.###},{r.Box.Height:0.###},{r.Confidence:0.###},-1,-1,-1"));
        }
    }

    public static void Write(string path, IEnumerable<MotRecord> records)
    {
        using var writer = new StreamWriter(path);
        Write(writer, records);
    }

    private static bool TryFloat(string s, out float value) =>
        float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
