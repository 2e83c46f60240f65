using System.Text;

namespace ReId.Ingest;

/// <summary>
/// A camera's input list (<see cref="FfmpegArguments.InputList"/>, the URL with its password) in a file only this
/// service's user can read, for the one ffmpeg that reads it at start: in RAM (<c>/dev/shm</c>) where there is one,
/// in a folder of mode 0700, the file 0600, deleted once ffmpeg has opened its input (or when the session ends).
/// </summary>
internal sealed class SecretInputFile : IDisposable
{
    private readonly string _folder;
    private int _deleted;

    private SecretInputFile(string folder, string path)
    {
        _folder = folder;
        Path = path;
    }

    public string Path { get; }

    public static SecretInputFile Write(string contents)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("camera passwords are handed to ffmpeg through a file of mode 0600: Linux only");
        }

        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        var folder = System.IO.Path.Combine(root, $"reid-input-{Guid.NewGuid():N}");
        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Directory.CreateDirectory(folder, owner | UnixFileMode.UserExecute);
        var path = System.IO.Path.Combine(folder, "input.ffconcat");
        try
        {
            using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = owner });
            file.Write(Encoding.UTF8.GetBytes(contents));
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }

        return new SecretInputFile(folder, path);
    }

    /// <summary>Deletes the file and its folder (once; later calls do nothing).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _deleted, 1) != 0)
        {
            return;
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
