namespace ReId.Tests;

/// <summary>The repository root and the files beside the checkout (../shared), for tests and benchmarks.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string?> RootPath = new(Find);

    /// <summary>The folder holding Pipeline.sln above the program (or the working folder); null when there is none.</summary>
    public static string? RootOrNull => RootPath.Value;

    /// <summary>The folder holding Pipeline.sln.</summary>
    /// <exception cref="InvalidOperationException">there is none above the program or the working folder.</exception>
    public static string Root => RootPath.Value
        ?? throw new InvalidOperationException($"Pipeline.sln not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}.");

    /// <summary>
    /// The folder of models, media and data sets: REID_SHARED when set (CI sets it to a folder that does not exist
    /// to run the suite as on a fresh machine), else ../shared beside the checkout.
    /// </summary>
    public static string SharedRoot =>
        Environment.GetEnvironmentVariable("REID_SHARED") is { Length: > 0 } fromEnvironment
            ? Path.GetFullPath(fromEnvironment)
            : Path.GetFullPath(Path.Combine(RootOrNull ?? Environment.CurrentDirectory, "..", "shared"));

    /// <summary>
    /// <paramref name="relative"/> under <see cref="SharedRoot"/>, or the value of <paramref name="variable"/> when
    /// it is set.
    /// </summary>
    public static string Shared(string variable, string relative) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment
            ? Path.GetFullPath(fromEnvironment)
            : Path.GetFullPath(Path.Combine(SharedRoot, relative));

    /// <summary>The sample street video: REID_SAMPLE_VIDEO, else ../shared/media/vtest.avi, else Debian's opencv-doc copy; null when none exists.</summary>
    /// <remarks>Debian's copy is part of a fresh machine's setup (setup.sh installs opencv-doc), so hiding ../shared keeps it.</remarks>
    public static string? SampleVideo()
    {
        string?[] candidates =
        [
            Environment.GetEnvironmentVariable("REID_SAMPLE_VIDEO"),
            Shared("REID_VTEST", "media/vtest.avi"),
            "/usr/share/doc/opencv-doc/examples/data/vtest.avi",
        ];
        return candidates.FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p)) is { } found ? Path.GetFullPath(found) : null;
    }

    private static string? Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
