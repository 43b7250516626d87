using System.Diagnostics;
using System.Runtime.InteropServices;
using KvTiering.Store;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Benchmarks.Contention;

/// <summary>
/// Where a thread's slow puts spent their time: on a CPU, runnable but waiting for one (more busy threads than
/// cores), or neither (blocked: on the store's lock, on I/O, asleep). Read on Linux before and after each put: the
/// thread's CPU time from <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c> and its run-queue wait from
/// <c>/proc/thread-self/schedstat</c>; absent elsewhere. Where the store traces puts (<see cref="PutTrace"/>), the
/// blocked time is split further: waiting for room in the write-behind queue, for the worker's next booking, for the
/// store's lock, holding it, and in device writes on the put's own path (a full queue's overflow).
/// </summary>
/// <remarks>
/// The schedstat file's second field is <c>sched_info.run_delay</c> (Linux Documentation/scheduler/sched-stats.rst),
/// brought up to date whenever the thread is scheduled in; its first field (run time) is only updated at ticks and
/// switches, so the CPU time comes from the clock, which updates on read. Open it on the thread it describes.
/// </remarks>
internal sealed partial class PutTimes : IDisposable
{
    private readonly SafeFileHandle? _handle;
    private readonly byte[] _text = new byte[128];
    private readonly List<(long Ticks, long CpuNs, long WaitNs, Parts Parts)> _puts = new(1 << 12);
    private long _cpu0;
    private long _wait0;

    /// <summary>Opens the calling thread's statistics, when the system has them.</summary>
    public PutTimes()
    {
        if (OperatingSystem.IsLinux() && File.Exists("/proc/thread-self/schedstat"))
        {
            _handle = File.OpenHandle("/proc/thread-self/schedstat");
        }
    }

    /// <summary>Marks the start of a put.</summary>
    public void Begin()
    {
        PutTrace.Reset();
        if (_handle is not null)
        {
            Read(out _cpu0, out _wait0);
        }
    }

    /// <summary>Marks the end of a put that took <paramref name="ticks"/> Stopwatch ticks.</summary>
    public void End(long ticks)
    {
        if (_handle is not null)
        {
            Read(out long cpu, out long wait);
            _puts.Add((ticks, cpu - _cpu0, wait - _wait0, Parts.Read()));
        }
    }

    /// <summary>The slowest 1% of puts, on average: latency, on a CPU, waiting for a CPU, the rest (µs); empty without statistics.</summary>
    public string Tail()
    {
        if (_puts.Count == 0)
        {
            return "no per-thread scheduler statistics here";
        }

        var sorted = _puts.OrderByDescending(p => p.Ticks).Take(Math.Max(1, _puts.Count / 100)).ToList();
        double latency = sorted.Average(p => p.Ticks * 1e6 / Stopwatch.Frequency);
        double cpu = sorted.Average(p => p.CpuNs / 1e3);
        double wait = sorted.Average(p => p.WaitNs / 1e3);
        string line = $"slowest 1% ({sorted.Count} ops), mean {latency:0} µs: on a CPU {cpu:0}, waiting for a CPU {wait:0}, " +
            $"blocked (lock, I/O, sleep) {Math.Max(0, latency - cpu - wait):0}";
        if (!PutTrace.On)
        {
            return line;
        }

        // Wall-clock parts of the same puts (each includes any time on or waiting for a CPU within it).
        static double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
        double room = sorted.Average(p => Us(p.Parts.Room));
        double booking = sorted.Average(p => Us(p.Parts.Booking));
        double lockWait = sorted.Average(p => Us(p.Parts.LockWait));
        double lockHeld = sorted.Average(p => Us(p.Parts.LockHeld));
        double writes = sorted.Average(p => Us(p.Parts.DeviceWrites));
        double rest = latency - room - booking - lockWait - lockHeld - writes;
        return line + $"; wall clock: waiting for queue room {room:0} ({sorted.Sum(p => p.Parts.RoomWaits)} waits), " +
            $"for a booking {booking:0}, for the lock {lockWait:0}, holding it {lockHeld:0}, device writes on the put's path " +
            $"{writes:0} ({sorted.Sum(p => p.Parts.Overflows)} overflows), the rest (copies, the call) {rest:0}; " +
            $"all {_puts.Count} puts: {_puts.Count(p => p.Parts.RoomWaits > 0)} waited for room, {_puts.Sum(p => p.Parts.Overflows)} overflows";
    }

    /// <summary>One put's wall-clock parts (<see cref="PutTrace"/>), Stopwatch ticks.</summary>
    private readonly record struct Parts(long Room, int RoomWaits, long Booking, long LockWait, long LockHeld, long DeviceWrites, int Overflows)
    {
        public static Parts Read() => new(PutTrace.RoomTicks, PutTrace.RoomWaits, PutTrace.BookingTicks, PutTrace.LockWaitTicks,
            PutTrace.LockHeldTicks, PutTrace.DeviceWriteTicks, PutTrace.Overflows);
    }

    public void Dispose() => _handle?.Dispose();

    private void Read(out long cpuNs, out long waitNs)
    {
        int n = RandomAccess.Read(_handle!, _text, 0);
        ReadOnlySpan<byte> text = _text.AsSpan(0, n);
        text = text[(text.IndexOf((byte)' ') + 1)..];
        waitNs = long.Parse(text[..text.IndexOf((byte)' ')], provider: System.Globalization.CultureInfo.InvariantCulture);
        cpuNs = ClockGetTime(ThreadCpuTimeClock, out TimeSpec now) == 0 ? now.Seconds * 1_000_000_000 + now.Nanoseconds : 0;
    }

    private const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
