namespace ReId.Host.Tests;

/// <summary>Finds the repository root and the shared media beside it.</summary>
internal static class TestPaths
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

            return dir?.FullName ?? throw new InvalidOperationException("Pipeline.sln not found above the test folder");
        }
    }

    /// <summary>The sample video: REID_SAMPLE_VIDEO, else ../shared/media/vtest.avi, else Debian's opencv-doc copy.</summary>
    public static string? SampleVideo()
    {
        string?[] candidates =
        [
            Environment.GetEnvironmentVariable("REID_SAMPLE_VIDEO"),
            Path.Combine(RepoRoot, "..", "shared", "media", "vtest.avi"),
            "/usr/share/doc/opencv-doc/examples/data/vtest.avi",
        ];
        return candidates.FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p)) is { } found ? Path.GetFullPath(found) : null;
    }

    public static string RequireSampleVideo() =>
        SampleVideo() ?? throw new IgnoreException("the sample video vtest.avi is absent (set REID_SAMPLE_VIDEO or put it in ../shared/media)");

    public static string? YoloxModel()
    {
        var env = Environment.GetEnvironmentVariable("REID_YOLOX_MODEL");
        var path = !string.IsNullOrEmpty(env) ? env : Path.Combine(RepoRoot, "..", "shared", "models", "yolox_nano.onnx");
        return File.Exists(path) ? Path.GetFullPath(path) : null;
    }
}
