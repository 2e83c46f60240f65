namespace ReId.Tests;

/// <summary>
/// Finds the repository root and files from ../shared beside the checkout (an environment variable overrides each
/// path); a test whose file is absent is ignored with the reason.
/// </summary>
internal static class SharedData
{
    /// <summary>The folder holding Pipeline.sln, found by walking up from the test output folder.</summary>
    public static string RepoRoot => RepoPaths.Root;

    /// <summary>The YOLOX-nano ONNX model (REID_YOLOX_MODEL, else ../shared/models/yolox_nano.onnx).</summary>
    public static string YoloxModel => RequireFile("REID_YOLOX_MODEL", "models/yolox_nano.onnx");

    /// <summary>OpenCV's sample street video (REID_VTEST, else ../shared/media/vtest.avi).</summary>
    public static string Vtest => RequireFile("REID_VTEST", "media/vtest.avi");

    /// <summary>CUHK03 detected train crops, PPPP_KK.jpg (REID_CUHK03_DIR or REID_CUHK03_TRAIN, else ../shared/data/cuhk03-detected/train).</summary>
    public static string Cuhk03Train
    {
        get
        {
            string variable = Environment.GetEnvironmentVariable("REID_CUHK03_DIR") is { Length: > 0 } ? "REID_CUHK03_DIR" : "REID_CUHK03_TRAIN";
            string path = PathOf(variable, "data/cuhk03-detected/train");
            if (!Directory.Exists(path))
            {
                Assert.Ignore($"CUHK03 crops not found at {path} (set REID_CUHK03_DIR to the cuhk03-detected/train folder).");
            }

            return path;
        }
    }

    /// <summary>The path of <paramref name="relative"/> under ../shared, or the value of <paramref name="variable"/> when set.</summary>
    public static string PathOf(string variable, string relative) => RepoPaths.Shared(variable, relative);

    /// <summary>A file under ../shared (or named by <paramref name="variable"/>); ignores the test when absent.</summary>
    public static string RequireFile(string variable, string relative)
    {
        string path = PathOf(variable, relative);
        if (!File.Exists(path))
        {
            Assert.Ignore($"{path} is absent (set {variable} to its path); this test needs it.");
        }

        return path;
    }

    /// <summary>A folder under ../shared (or named by <paramref name="variable"/>); ignores the test when absent.</summary>
    public static string RequireFolder(string variable, string relative)
    {
        string path = PathOf(variable, relative);
        if (!Directory.Exists(path))
        {
            Assert.Ignore($"{path} is absent (set {variable} to its path); this test needs it.");
        }

        return path;
    }
}
