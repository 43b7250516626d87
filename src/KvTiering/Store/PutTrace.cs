using System.Diagnostics;

namespace KvTiering.Store;

/// <summary>
/// Where the calling thread's payload puts spent their time since <see cref="Reset"/>: waiting for room in the
/// write-behind queue (<see cref="WriteBehindRoom.WaitForRoom"/>), waiting for the worker's next booking (room that waits on
/// a write in flight), waiting to enter the store's lock, holding it, and in device writes on the put's own path (a
/// demotion or a put that found the queue full, <see cref="TierStatistics.WriteBehindOverflows"/>), with how many of
/// those overflows there were. The contention program reads it around each put to split a writer's slowest puts by
/// cause (issue #18). Off unless the <see cref="Switch"/> app-context switch is set before the store is first used; the
/// JIT then drops every call as dead code (a static readonly field of an initialized class is a constant).
/// </summary>
internal static class PutTrace
{
    /// <summary>The <see cref="AppContext"/> switch that times the parts of every payload put (diagnostics only).</summary>
    public const string Switch = "KvTiering.Store.TracePuts";

    /// <summary>Whether puts are traced (read once, when the class is first used).</summary>
    public static readonly bool On = AppContext.TryGetSwitch(Switch, out bool on) && on;

    [ThreadStatic]
    private static long t_room;

    [ThreadStatic]
    private static long t_booking;

    [ThreadStatic]
    private static long t_lockWait;

    [ThreadStatic]
    private static long t_lockHeld;

    [ThreadStatic]
    private static long t_deviceWrites;

    [ThreadStatic]
    private static int t_overflows;

    [ThreadStatic]
    private static int t_roomWaits;

    /// <summary>Stopwatch ticks this thread waited for a free job slot before the lock.</summary>
    public static long RoomTicks => t_room;

    /// <summary>How many times this thread blocked for a free job slot (a signal from the worker, not a hint read).</summary>
    public static int RoomWaits => t_roomWaits;

    /// <summary>Stopwatch ticks this thread waited for the worker's next booking (room behind a write in flight).</summary>
    public static long BookingTicks => t_booking;

    /// <summary>Stopwatch ticks this thread's puts waited to enter the store's lock.</summary>
    public static long LockWaitTicks => t_lockWait;

    /// <summary>Stopwatch ticks this thread's puts held the store's lock.</summary>
    public static long LockHeldTicks => t_lockHeld;

    /// <summary>Stopwatch ticks this thread spent in device writes on its own path, outside the lock.</summary>
    public static long DeviceWriteTicks => t_deviceWrites;

    /// <summary>Writes this thread found no job slot for under the lock, so wrote (or will write) on its own path.</summary>
    public static int Overflows => t_overflows;

    /// <summary>Starts counting again on this thread.</summary>
    public static void Reset()
    {
        t_room = t_booking = t_lockWait = t_lockHeld = t_deviceWrites = 0;
        t_overflows = t_roomWaits = 0;
    }

    /// <summary>A timestamp to pass to one of the Add methods; 0 when tracing is off.</summary>
    public static long Now() => On ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Books a wait for room that began at <paramref name="since"/>.</summary>
    public static void AddRoom(long since)
    {
        t_room += Stopwatch.GetTimestamp() - since;
        t_roomWaits++;
    }

    /// <summary>Books a wait for a booking that began at <paramref name="since"/>.</summary>
    public static void AddBooking(long since) => t_booking += Stopwatch.GetTimestamp() - since;

    /// <summary>Books a lock entry asked for at <paramref name="since"/>; returns the time it was granted.</summary>
    public static long AddLockWait(long since)
    {
        long now = Stopwatch.GetTimestamp();
        t_lockWait += now - since;
        return now;
    }

    /// <summary>Books a lock hold that began at <paramref name="since"/>.</summary>
    public static void AddLockHeld(long since) => t_lockHeld += Stopwatch.GetTimestamp() - since;

    /// <summary>Books a device write on the put's path that began at <paramref name="since"/>.</summary>
    public static void AddDeviceWrite(long since) => t_deviceWrites += Stopwatch.GetTimestamp() - since;

    /// <summary>Books a write that found the write-behind queue full.</summary>
    public static void AddOverflow() => t_overflows++;
}
