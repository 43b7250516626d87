using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

/// <summary>
/// Where a file holds data, from the file system's own extent map: <c>lseek(fd, offset, SEEK_DATA)</c> finds the next
/// byte that is not in a hole and <c>SEEK_HOLE</c> the end of that run (Linux; .NET exposes neither). The flash
/// recovery's header scan skips the slots whose first page lies wholly in a hole: a hole reads as zeros, which is no
/// header, so reading it could only find nothing.
/// </summary>
/// <remarks>
/// Holes here are what the file system reports, and it reports conservatively: a region never written (the sparse file
/// <see cref="FlashFileOpener"/> creates) or allocated but unwritten (an <c>fallocate</c>d file on ext4, XFS and tmpfs)
/// is a hole; anything written, zeros included, or still dirty in the page cache is data. A file system that cannot
/// tell (the kernel's generic fallback) reports the whole file as data, and one that refuses the call answers an
/// error: either way the caller reads every slot, as before.
/// </remarks>
internal static partial class FileDataRegions
{
    private const int SeekData = 3;     // SEEK_DATA
    private const int SeekHole = 4;     // SEEK_HOLE
    private const int NoSuchAddress = 6; // ENXIO: no data at or after the offset

    /// <summary>
    /// Finds the first run of data at or after <paramref name="offset"/>: <paramref name="start"/> is its first byte and
    /// <paramref name="end"/> the hole (or the file's end) after it; both are <see cref="long.MaxValue"/> when no data
    /// follows. Returns false when the file system cannot say (not Linux, a 32-bit process, or the call failed): the
    /// caller must then treat everything as data.
    /// </summary>
    public static bool TryNextData(SafeFileHandle handle, long offset, out long start, out long end)
    {
        start = end = long.MaxValue;
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            return false; // off_t is 64-bit only in a 64-bit Linux process
        }

        try
        {
            long data = Seek(handle, offset, SeekData);
            if (data < 0)
            {
                return Marshal.GetLastPInvokeError() == NoSuchAddress;
            }

            long hole = Seek(handle, data, SeekHole);
            if (hole <= data)
            {
                return false; // an error, or an answer no file system should give: trust nothing
            }

            start = data;
            end = hole;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // lseek moves the descriptor's offset, which no I/O here uses (every read and write is positioned: pread/pwrite),
    // so calls from several threads on one descriptor do not disturb each other or the I/O.
    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial long Seek(SafeFileHandle fd, long offset, int whence);
}
