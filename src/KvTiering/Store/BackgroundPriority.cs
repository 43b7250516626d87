using System.Runtime.InteropServices;

namespace KvTiering.Store;

/// <summary>
/// Lowers the calling thread to the lowest ordinary priority (nice 19) on Linux, so a background worker (the
/// write-behind writer) takes a core only when the threads serving requests leave one: on a machine with as many
/// busy request threads as cores, a hit then waits for a copy of its own rather than for the worker's.
/// </summary>
/// <remarks>
/// <c>setpriority(PRIO_PROCESS, gettid(), 19)</c> applies to the one thread on Linux (setpriority(2), "BUGS": the
/// nice value is per thread), needs no privilege to lower, and still gives the thread a small share of a busy CPU
/// (a nice-19 thread weighs 15 against a nice-0 thread's 1024 in CFS/EEVDF). <c>SCHED_IDLE</c> was not taken: it
/// runs a thread only on an otherwise idle CPU, so under a steady load the worker, and every
/// <see cref="TieredKvStore.Flush"/> and disposal that waits for it, could starve outright.
/// </remarks>
internal static partial class BackgroundPriority
{
    private const int ProcessScope = 0;  // PRIO_PROCESS; with a thread id it names that thread alone
    private const int Lowest = 19;

    /// <summary>Lowers the calling thread; null when done, otherwise why not (another OS, libc refused).</summary>
    public static string? TryLowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "thread priorities are lowered on Linux only";
        }

        try
        {
            int tid = GetThreadId();
            if (SetPriority(ProcessScope, tid, Lowest) == 0)
            {
                return null;
            }

            int errno = Marshal.GetLastPInvokeError();
            return $"setpriority(PRIO_PROCESS, {tid}, {Lowest}) failed with errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return $"libc setpriority(2) or gettid(2) is not reachable: {e.Message}";
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
