namespace KvTiering.Tests.Devices;

/// <summary>A fact that needs Linux's <c>/dev/shm</c> mounted as tmpfs (a file system that cannot zero a range).</summary>
internal sealed class ShmFactAttribute : FactAttribute
{
    public const string Directory = "/dev/shm";

    public ShmFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/mounts")
            || !File.ReadLines("/proc/mounts").Any(static line => line.Split(' ') is [_, Directory, "tmpfs", ..]))
        {
            Skip = "needs /dev/shm mounted as tmpfs";
        }
    }
}
