using System.Diagnostics;

namespace KvTiering.Soak;

/// <summary>
/// The soak's disk-full fault: the flash tier lives on a 32 MiB tmpfs, and a filler file takes every free byte of it
/// for one interval, so flash writes to slots not yet backed by pages fail with ENOSPC (the store drops and counts
/// them; no read may return wrong bytes).
/// </summary>
internal static class DiskFull
{
    private const string Filler = "filler";

    /// <summary>Whether the filler is on the disk now.</summary>
    public static bool Filled { get; private set; }

    /// <summary>Creates <paramref name="dir"/> and mounts a 32 MiB tmpfs on it; null on success, else why not.</summary>
    public static string? TryMount(string dir)
    {
        Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return "mounting a tmpfs needs root on Linux";
        }

        (int code, string error) = Run("mount", $"-t tmpfs -o size=32m kvt-soak {dir}");
        return code == 0 ? null : $"mount failed: {error.Trim()}";
    }

    /// <summary>Writes a filler file until the file system is full.</summary>
    public static void Fill(string dir)
    {
        // Unbuffered, so nothing is left to flush on dispose; megabytes first, then pages for the last partial one.
        using var stream = new FileStream(Path.Combine(dir, Filler), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (int size in (int[])[1 << 20, 4096])
        {
            var chunk = new byte[size];
            try
            {
                while (true)
                {
                    stream.Write(chunk);
                }
            }
            catch (IOException)
            {
                // ENOSPC: full, which is the point.
            }
        }

        Filled = true;
    }

    /// <summary>Deletes the filler file.</summary>
    public static void Free(string dir)
    {
        File.Delete(Path.Combine(dir, Filler));
        Filled = false;
    }

    public static void Unmount(string dir, bool mounted)
    {
        if (mounted)
        {
            Run("umount", dir);
        }
    }

    private static (int Code, string Error) Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, UseShellExecute = false })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error);
    }
}
