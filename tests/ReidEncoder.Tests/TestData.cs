namespace ReId.ReidEncoder.Tests;

/// <summary>CUHK03 identities and the ImageNet weights check the encoder tests share.</summary>
internal static class TestData
{
    public static void IgnoreWithoutImageNetWeights()
    {
        if (!ImageNetResNet18.IsAvailable()) Assert.Ignore("the ImageNet ResNet-18 ONNX files are not available (restore the project).");
    }

    /// <summary>Identities with crops from both cameras: person id -> (camera A files, camera B files).</summary>
    public static List<(string Person, string[] CameraA, string[] CameraB)> Cuhk03Identities(string folder, int count)
    {
        return Directory.GetFiles(folder, "*.jpg")
            .Select(f => (File: f, Name: Path.GetFileNameWithoutExtension(f)))
            .Where(x => x.Name.Length == 7 && x.Name[4] == '_')
            .GroupBy(x => x.Name[..4], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (
                Person: g.Key,
                CameraA: g.Where(x => int.Parse(x.Name[5..], System.Globalization.CultureInfo.InvariantCulture) < 5).Select(x => x.File).Order(StringComparer.Ordinal).ToArray(),
                CameraB: g.Where(x => int.Parse(x.Name[5..], System.Globalization.CultureInfo.InvariantCulture) >= 5).Select(x => x.File).Order(StringComparer.Ordinal).ToArray()))
            .Where(x => x.CameraA.Length > 0 && x.CameraB.Length > 0)
            .Take(count)
            .ToList();
    }
}
