namespace ReId.ReidEncoder.Tests;

/// <summary>Finds shared test data by environment variable, else ../shared beside the repository root.</summary>
internal static class TestData
{
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Pipeline.sln not found above the test directory.");
    }

    /// <summary>CUHK03 detected train crops (PPPP_KK.jpg); ignores the test when absent.</summary>
    public static string Cuhk03TrainOrIgnore()
    {
        var env = Environment.GetEnvironmentVariable("REID_CUHK03_DIR");
        var path = string.IsNullOrWhiteSpace(env)
            ? Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "data", "cuhk03-detected", "train"))
            : env;
        if (!Directory.Exists(path)) Assert.Ignore($"CUHK03 crops not found at {path} (set REID_CUHK03_DIR).");
        return path;
    }

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
