namespace ReId.Tracking.Tests;

/// <summary>Finds files from ../shared beside the checkout (or an environment variable) and skips when absent.</summary>
internal static class SharedFiles
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Pipeline.sln not found above the test folder.");
        }
    }

    public static string YoloxModel => Require("REID_YOLOX_MODEL", "models/yolox_nano.onnx");

    public static string Vtest => Require("REID_VTEST", "media/vtest.avi");

    public static string Cuhk03Train => RequireFolder("REID_CUHK03_TRAIN", "data/cuhk03-detected/train");

    private static string RequireFolder(string variable, string relative)
    {
        string path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } v
            ? v
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", relative));
        if (!Directory.Exists(path))
        {
            Assert.Ignore($"{path} is absent (set {variable} to its path); this test needs it.");
        }

        return path;
    }

    private static string Require(string variable, string relative)
    {
        string path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } v
            ? v
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", relative));
        if (!File.Exists(path))
        {
            Assert.Ignore($"{path} is absent (set {variable} to its path); this test needs it.");
        }

        return path;
    }
}
