using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

/// <summary>
/// Turns a range of a file back into zeros without writing them: <c>fallocate(fd, FALLOC_FL_ZERO_RANGE |
/// FALLOC_FL_KEEP_SIZE, offset, length)</c> (Linux; .NET exposes no <c>fallocate</c> with flags). On ext4 and XFS the
/// range's blocks become unwritten extents: they read as zeros, <c>lseek</c> <c>SEEK_DATA</c> reports them as a hole
/// (<see cref="FileDataRegions"/>), and the file keeps the disk space, so a file given its space up front with
/// <c>fallocate</c> keeps it.
/// </summary>
/// <remarks>
/// Zero range rather than <c>FALLOC_FL_PUNCH_HOLE</c>: both make the range a hole to <c>SEEK_DATA</c>, but a punch
/// gives the blocks back to the file system, so on a disk something else fills, every freed slot would be a slot the
/// tier can no longer write (docs/reliability.md, "A full disk"). tmpfs answers EOPNOTSUPP to zero range (checked on
/// kernel 6.18), as does any file system without it.
/// </remarks>
internal static partial class FileZeroRange
{
    private const int KeepSize = 0x01;          // FALLOC_FL_KEEP_SIZE
    private const int ZeroRange = 0x10;         // FALLOC_FL_ZERO_RANGE
    private const int NotSupported = 95;        // EOPNOTSUPP
    private const int NoSuchCall = 38;          // ENOSYS
    private const int InvalidArgument = 22;     // EINVAL: a mode the file (or its file system) does not take

    /// <summary>What one call did.</summary>
    public enum Outcome
    {
        /// <summary>The range reads as zeros now.</summary>
        Zeroed,

        /// <summary>The file system (or platform) cannot do it: do not ask again.</summary>
        Unsupported,

        /// <summary>It could have, but this call failed (an I/O error, no space for a hole in the range): try another way this time.</summary>
        Failed,
    }

    /// <summary>
    /// Zeroes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) of the file;
    /// <paramref name="errno"/> is the error of a call that did not (0 when none was made or it succeeded).
    /// </summary>
    public static Outcome TryZero(SafeFileHandle handle, long offset, long length, out int errno)
    {
        errno = 0;
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            return Outcome.Unsupported; // off_t is 64-bit only in a 64-bit Linux process
        }

        try
        {
            if (Fallocate(handle, ZeroRange | KeepSize, offset, length) == 0)
            {
                return Outcome.Zeroed;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return Outcome.Unsupported;
        }

        errno = Marshal.GetLastPInvokeError();
        return errno is NotSupported or NoSuchCall or InvalidArgument ? Outcome.Unsupported : Outcome.Failed;
    }

    // fallocate on a descriptor the device also reads and writes with pread/pwrite: the kernel orders it against direct
    // I/O in flight on the file (ext4 and XFS wait for it and hold the inode lock), and the device never frees a slot
    // while an I/O of that slot runs (its contract), so no read or write of the slot overlaps the call.
    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Fallocate(SafeFileHandle fd, int mode, long offset, long length);
}
