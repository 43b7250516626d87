using System.Runtime.InteropServices;

namespace KvTiering.Store;

/// <summary>
/// Lowers the calling thread's priority on Linux (a nice value from 1 to 19), so a background worker (the
/// write-behind writer) yields the cores to the threads serving requests: on a machine with as many busy request
/// threads as cores, a hit then waits for a copy of its own rather than for the worker's.
/// </summary>
/// <remarks>
/// <c>setpriority(PRIO_PROCESS, gettid(), nice)</c> applies to the one thread on Linux (setpriority(2), "BUGS": the
/// nice value is per thread) and needs no privilege to lower. CFS/EEVDF weigh a thread by its nice value (1024 at 0,
/// 335 at 5, 110 at 10, 15 at 19: sched_prio_to_weight in kernel/sched/core.c), so even nice 19 keeps a small share
/// of a busy CPU. <c>SCHED_IDLE</c> was not taken: it runs a thread only on an otherwise idle CPU, so under a steady
/// load the worker, and every <see cref="TieredKvStore.Flush"/> and disposal that waits for it, could starve outright.
/// </remarks>
internal static partial class BackgroundPriority
{
    private const int ProcessScope = 0;  // PRIO_PROCESS; with a thread id it names that thread alone

    /// <summary>The lowest ordinary priority.</summary>
    public const int Lowest = 19;

    /// <summary>
    /// Sets the calling thread's nice value to <paramref name="nice"/> (1 to <see cref="Lowest"/>); null when done,
    /// otherwise why not (another OS, libc refused).
    /// </summary>
    public static string? TryLowerCurrentThread(int nice = Lowest)
    {
        if (nice is < 1 or > Lowest)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(nice), nice, $"A thread is lowered to a nice value from 1 to {Lowest}; {nice} was given.");
        }

        if (!OperatingSystem.IsLinux())
        {
            return "thread priorities are lowered on Linux only";
        }

        try
        {
            int tid = GetThreadId();
            if (SetPriority(ProcessScope, tid, nice) == 0)
            {
                return null;
            }

            int errno = Marshal.GetLastPInvokeError();
            return $"setpriority(PRIO_PROCESS, {tid}, {nice}) failed with errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
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
