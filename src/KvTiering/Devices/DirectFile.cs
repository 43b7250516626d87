using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

/// <summary>
/// Opens a file for direct I/O (<c>O_DIRECT</c>), which .NET does not expose: every read and write then moves between
/// the caller's buffer and the device without a copy in the kernel's page cache, so a flash-resident block is not
/// cached twice (once in the DRAM tier, once in the page cache) and a benchmark measures the disk, not memory.
/// </summary>
/// <remarks>
/// Direct I/O needs the buffer address, the file offset and the length aligned to the device's logical block size;
/// everything here is aligned to <see cref="FlashGeometry.PageBytes"/>, which covers every common block size.
/// The file is locked with <c>flock(LOCK_EX | LOCK_NB)</c>, as .NET does for <see cref="FileShare.None"/>, so two
/// stores never share a directory. Where <c>open(2)</c> refuses <c>O_DIRECT</c> (tmpfs answers EINVAL) the caller
/// falls back to buffered I/O with the reason this returns.
/// </remarks>
internal static partial class DirectFile
{
    private const int ReadWrite = 0x2;        // O_RDWR
    private const int CloseOnExec = 0x80000;  // O_CLOEXEC
    private const int LockExclusive = 2;      // LOCK_EX
    private const int LockNonBlocking = 4;    // LOCK_NB
    private const int WouldBlock = 11;        // EWOULDBLOCK
    private const int Interrupted = 4;        // EINTR
    private const int InvalidArgument = 22;   // EINVAL

    /// <summary><c>O_DIRECT</c> for this process's architecture (asm-generic on x86-64; arm64 has its own value).</summary>
    internal static int DirectFlag => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm
        ? 0x10000
        : 0x4000;

    /// <summary>
    /// Opens <paramref name="path"/> (which must exist) read-write with <c>O_DIRECT</c> and locks it exclusively.
    /// Returns null with <paramref name="reason"/> set when direct I/O is unavailable here, or when
    /// <paramref name="refuse"/> (a test seam) stands in for a file system that refuses it.
    /// </summary>
    /// <exception cref="IOException">The file is locked by another store.</exception>
    public static SafeFileHandle? TryOpen(string path, bool refuse, out string? reason)
    {
        reason = null;
        if (!OperatingSystem.IsLinux())
        {
            reason = "direct I/O is implemented for Linux only";
            return null;
        }

        if (refuse)
        {
            reason = $"open(2) with O_DIRECT failed with errno {InvalidArgument} (refused by a test)";
            return null;
        }

        int fd;
        try
        {
            fd = Open(path, ReadWrite | CloseOnExec | DirectFlag, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"libc open(2) is not reachable: {e.Message}";
            return null;
        }

        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            reason = $"open(2) with O_DIRECT failed with errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
            return null;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        int result = Lock(fd, out int lockErrno);
        if (result < 0)
        {
            handle.Dispose();
            throw new IOException(lockErrno == WouldBlock
                ? $"The process cannot access the file '{path}' because it is being used by another process."
                : $"Locking '{path}' failed with errno {lockErrno} ({Marshal.GetPInvokeErrorMessage(lockErrno)}).");
        }

        return handle;
    }

    /// <summary>
    /// Takes the exclusive lock, waiting up to <see cref="LockPatience"/> while another holder has it. A lock is held
    /// by an open file description, and a child process forked anywhere in this process (<c>Process.Start</c>) holds a
    /// copy of every descriptor until its <c>exec</c> closes the <c>O_CLOEXEC</c> ones, so a store reopened right after
    /// closing can find its own old lock still held for that moment; a real second store holds it for good.
    /// </summary>
    private static int Lock(int fd, out int errno)
    {
        long deadline = Environment.TickCount64 + (long)LockPatience.TotalMilliseconds;
        while (true)
        {
            int result = Flock(fd, LockExclusive | LockNonBlocking);
            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (result == 0 || (errno != Interrupted && (errno != WouldBlock || Environment.TickCount64 >= deadline)))
            {
                return result;
            }

            if (errno == WouldBlock)
            {
                Thread.Sleep(5);
            }
        }
    }

    /// <summary>How long <see cref="TryOpen"/> waits for a lock another descriptor holds before it refuses the file.</summary>
    internal static TimeSpan LockPatience { get; } = TimeSpan.FromSeconds(2);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Flock(int fd, int operation);
}
