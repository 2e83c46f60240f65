using System.Diagnostics;

namespace ReId.Tests;

/// <summary>
/// A small tmpfs mounted for one test, to fill up (disk full) or turn read-only as a real disk would. Mounting needs
/// root (CAP_SYS_ADMIN); <see cref="TryMount"/> says why not where that is missing, so the test can be skipped.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "filler");

    /// <summary>Mounts a tmpfs of <paramref name="megabytes"/> MB on a new temporary folder; null and the reason when it cannot.</summary>
    public static (SmallDisk? Disk, string? WhyNot) TryMount(int megabytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            return (null, "tmpfs needs Linux");
        }

        var dir = Directory.CreateTempSubdirectory("reid-small-disk-").FullName;
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", dir);
        if (code != 0)
        {
            Directory.Delete(dir);
            return (null, $"cannot mount a tmpfs (needs root): {output.Trim()}");
        }

        return (new SmallDisk(dir), null);
    }

    /// <summary>Writes a filler file until the disk is full; returns the bytes written.</summary>
    public long Fill()
    {
        var chunk = new byte[64 * 1024];
        long written = 0;
        using var file = new FileStream(Filler, FileMode.Append, FileAccess.Write, FileShare.None, 1);
        try
        {
            while (true)
            {
                file.Write(chunk);
                file.Flush();
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
            // ENOSPC: full. Fill the last pages byte by byte.
            for (var i = 0; i < chunk.Length; i++)
            {
                try
                {
                    file.Write(chunk, 0, 1);
                    file.Flush();
                    written++;
                }
                catch (IOException)
                {
                    break;
                }
            }
        }

        return written;
    }

    /// <summary>Deletes the filler: the space comes back.</summary>
    public void Free() => File.Delete(Filler);

    /// <summary>Remounts the disk read-only (true) or read-write (false).</summary>
    public void SetReadOnly(bool readOnly)
    {
        var (code, output) = Run("mount", "-o", readOnly ? "remount,ro" : "remount,rw", Path);
        if (code != 0)
        {
            throw new InvalidOperationException($"remount of {Path} failed: {output}");
        }
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static (int Code, string Output) Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(info)!;
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
