using System.Diagnostics;

namespace KvTiering.Devices;

/// <summary>
/// Whether the flash device is serving reads for its callers now (one in flight, or one ended within the last few
/// milliseconds): <see cref="FlashDeferredVerification"/> asks before each block and steps back while it is, so the
/// verification of what an open left unchecked does not sit in the disk's queue ahead of the reads a server waits for.
/// </summary>
/// <remarks>
/// A reader issuing reads back to back leaves gaps of microseconds between them; the quiet window keeps such a reader
/// counted as reading through its gaps. Two interlocked operations and a timestamp per read, against an I/O of tens of
/// microseconds at the least.
/// </remarks>
internal sealed class FlashForegroundReads
{
    /// <summary>How long after the last read ended the device still counts as reading.</summary>
    public static readonly TimeSpan QuietWindow = TimeSpan.FromMilliseconds(5);

    private static readonly long QuietTicks = (long)(QuietWindow.TotalSeconds * Stopwatch.Frequency);

    private int _inFlight;
    private long _lastEnded = long.MinValue / 2; // long ago: not reading

    /// <summary>Whether a read is in flight or ended within <see cref="QuietWindow"/>.</summary>
    public bool Busy =>
        Volatile.Read(ref _inFlight) > 0 || Stopwatch.GetTimestamp() - Volatile.Read(ref _lastEnded) < QuietTicks;

    /// <summary>A caller's read starts (before it waits for a buffer: waiting is part of its latency).</summary>
    public void Begin() => Interlocked.Increment(ref _inFlight);

    /// <summary>The read started by <see cref="Begin"/> ended.</summary>
    public void End()
    {
        Volatile.Write(ref _lastEnded, Stopwatch.GetTimestamp());
        Interlocked.Decrement(ref _inFlight);
    }
}
