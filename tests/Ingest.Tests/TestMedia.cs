using System.Diagnostics;

namespace ReId.Ingest.Tests;

/// <summary>Video files made once for the tests in a temporary folder, removed at the end.</summary>
internal sealed class TestMedia : IDisposable
{
    private TestMedia(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>The first 20 s of the sample video at 640x360, H.264 (10 fps), served by the RTSP server; null without the sample.</summary>
    public string? RtspVideo { get; private set; }

    /// <summary>Text with a video file's name.</summary>
    public string NotAVideo => Path.Combine(Directory, "not-a-video.mp4");

    /// <summary>An MP4 cut in half whose index (moov) was at the end: unreadable.</summary>
    public string? TruncatedIndexAtEnd { get; private set; }

    /// <summary>An MP4 cut in half whose index is at the start: plays, then ends early.</summary>
    public string? TruncatedPartial { get; private set; }

    public static async Task<TestMedia> CreateAsync(string? sample)
    {
        var media = new TestMedia(System.IO.Directory.CreateTempSubdirectory("reid-ingest-tests-").FullName);
        await File.WriteAllTextAsync(media.NotAVideo, "This is text, not a video.\n").ConfigureAwait(false);
        if (sample is null)
        {
            return media;
        }

        var encode = new[] { "-t", "20", "-i", sample, "-vf", "scale=640:360", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", "-an" };
        media.RtspVideo = Path.Combine(media.Directory, "vtest-640x360.mp4");
        await FfmpegAsync([.. encode, "-movflags", "+faststart", media.RtspVideo]).ConfigureAwait(false);
        var indexAtEnd = Path.Combine(media.Directory, "index-at-end.mp4");
        await FfmpegAsync([.. encode, indexAtEnd]).ConfigureAwait(false);
        media.TruncatedIndexAtEnd = Path.Combine(media.Directory, "cut-index-at-end.mp4");
        media.TruncatedPartial = Path.Combine(media.Directory, "cut-playable.mp4");
        await CopyHalfAsync(indexAtEnd, media.TruncatedIndexAtEnd).ConfigureAwait(false);
        await CopyHalfAsync(media.RtspVideo, media.TruncatedPartial).ConfigureAwait(false);
        return media;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a process that is ending; the temp folder is cleaned by the system.
        }
    }

    private static async Task CopyHalfAsync(string source, string target)
    {
        var bytes = await File.ReadAllBytesAsync(source).ConfigureAwait(false);
        await File.WriteAllBytesAsync(target, bytes.AsMemory(0, bytes.Length / 2)).ConfigureAwait(false);
    }

    private static async Task FfmpegAsync(string[] arguments)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-loglevel", "error", "-y", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed: {await stderr.ConfigureAwait(false)}");
        }
    }
}
