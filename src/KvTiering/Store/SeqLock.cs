using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace KvTiering.Store;

/// <summary>
/// A sequence lock: writers (already serialized by the store's lock) make the version odd while they change what
/// lock-free readers look at and even again after; a reader records an even version, reads, and trusts what it read
/// only if the version is still the same. Writers keep the version odd only while metadata changes: copying a block's
/// bytes into a slot no entry maps, or out of a slot that stays mapped, needs no odd window (<see cref="Pause"/>).
/// </summary>
/// <remarks>
/// The seqlock of the Linux kernel (Lameter, "Effective Synchronization on Linux/NUMA Systems", 2005; Boehm, "Can
/// Seqlocks Get Along With Programming Language Memory Models?", MSPC 2012, for the fences a reader needs).
/// A mutable struct held in a field and used in place, so the hit path pays no indirection.
/// </remarks>
internal struct SeqLock
{
    private long _version;  // odd while a writer changes the table or a mapped slot's bytes
    private int _readers;   // lock-free payload copies in flight; Dispose waits for them

    /// <summary>Starts a read at the current version; false while a writer is mid-change (odd version).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool TryBeginRead(out long version)
    {
        version = Volatile.Read(in _version);
        return (version & 1) == 0;
    }

    /// <summary>The current version (odd while a writer is mid-change).</summary>
    public readonly long Version
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(in _version);
    }

    /// <summary>Whether no writer ran since <see cref="TryBeginRead"/> returned <paramref name="version"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool IsValid(long version)
    {
        if (!X86Base.IsSupported)
        {
            // Weakly ordered CPUs may satisfy the reads before this after the version re-read; x86 never reorders loads.
            Interlocked.MemoryBarrier();
        }

        return Volatile.Read(in _version) == version;
    }

    /// <summary>
    /// Whether a per-item version (one a writer bumps with a full fence before it changes the item) still reads
    /// <paramref name="seen"/> after a read of the item: the fence a weakly ordered CPU needs, then the re-read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsUnchanged(ref int version, int seen)
    {
        if (!X86Base.IsSupported)
        {
            Interlocked.MemoryBarrier();
        }

        return Volatile.Read(ref version) == seen;
    }

    /// <summary>Marks the start of a change (odd version); the full fence keeps the change's writes after it.</summary>
    public void BeginWrite() => Interlocked.Increment(ref _version);

    /// <summary>Marks the end of a change (even version); release semantics publish the change's writes first.</summary>
    public void EndWrite() => Volatile.Write(ref _version, _version + 1);

    /// <summary>
    /// Ends the odd window for a byte copy that readers may overlap (the writer still holds the store's lock); true
    /// when it was odd, to pass to <see cref="Resume"/>. Every metadata change before it must be complete.
    /// </summary>
    public bool Pause()
    {
        if ((_version & 1) == 0)
        {
            return false;
        }

        EndWrite();
        return true;
    }

    /// <summary>Reopens the odd window <see cref="Pause"/> closed.</summary>
    public void Resume(bool paused)
    {
        if (paused)
        {
            BeginWrite();
        }
    }

    /// <summary>Announces a lock-free payload copy (a full fence).</summary>
    public void EnterReader() => Interlocked.Increment(ref _readers);

    /// <summary>Ends a lock-free payload copy.</summary>
    public void ExitReader() => Interlocked.Decrement(ref _readers);

    /// <summary>Waits out lock-free payload copies that started before the store was marked disposed.</summary>
    public readonly void WaitForReaders()
    {
        Interlocked.MemoryBarrier();
        var spin = new SpinWait();
        while (Volatile.Read(in _readers) != 0)
        {
            spin.SpinOnce();
        }
    }
}
