namespace ReId.Host.Tests;

/// <summary>Finds the repository root and the shared media beside it.</summary>
internal static class TestPaths
{
    public static string RepoRoot => SharedData.RepoRoot;

    /// <summary>The sample video: REID_SAMPLE_VIDEO, else ../shared/media/vtest.avi, else Debian's opencv-doc copy.</summary>
    public static string? SampleVideo() => RepoPaths.SampleVideo();

    public static string RequireSampleVideo() =>
        SampleVideo() ?? throw new IgnoreException("the sample video vtest.avi is absent (set REID_SAMPLE_VIDEO or put it in ../shared/media)");

    public static string? YoloxModel()
    {
        var path = RepoPaths.Shared("REID_YOLOX_MODEL", "models/yolox_nano.onnx");
        return File.Exists(path) ? path : null;
    }
}
