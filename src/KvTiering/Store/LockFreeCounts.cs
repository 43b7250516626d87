using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KvTiering.Store;

/// <summary>
/// Counts of what the lock-free paths answered without queueing anything: misses, and hits (with their bytes) and
/// resident puts in a top tier with reference bits. One padded cell per stripe, picked by the stack's address (so by thread), so
/// concurrent readers rarely share a cache line. Readers add atomically; the store folds the sums in under the lock.
/// </summary>
/// <remarks>
/// Striping a hot counter is the technique of Java's LongAdder and BitFaster.Caching's <c>Counter</c>; an atomic add
/// to a cell no other core touches costs about as much as a plain one.
/// A mutable struct held in a field and used in place (as <see cref="SeqLock"/>), so a hit reaches its stripe with
/// one load fewer.
/// </remarks>
internal struct LockFreeCounts
{
    // 64 cells of 128 bytes (8 KiB): enough that a machine's threads rarely share one, and a constant mask lets the
    // hot path index without a bounds check or a load.
    private const int Stripes = 64;

    private readonly Cell[] _cells;
    private (long Hits, long Bytes, long Misses, long Puts) _folded; // the sums at the last TakeNew (32 bytes, not a padded cell)

    public LockFreeCounts()
    {
        _cells = new Cell[Stripes];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void AddHit(int bytes)
    {
        ref Cell cell = ref ThisThreadsCell();
        Interlocked.Increment(ref cell.Hits);
        if (bytes != 0)
        {
            Interlocked.Add(ref cell.Bytes, bytes);
        }
    }

    /// <summary>A hit with no bytes, its stripe picked by <paramref name="onCallersStack"/>'s address.</summary>
    /// <remarks>
    /// Any address works for correctness (the add is atomic); one on the calling thread's stack keeps threads apart.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly unsafe void AddHit(ref int onCallersStack) =>
        Interlocked.Increment(ref CellOf((ulong)Unsafe.AsPointer(ref onCallersStack)).Hits);

    /// <summary>A miss, its stripe picked by <paramref name="onCallersStack"/>'s address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly unsafe void AddMiss(ref int onCallersStack) =>
        Interlocked.Increment(ref CellOf((ulong)Unsafe.AsPointer(ref onCallersStack)).Misses);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void AddMiss() => Interlocked.Increment(ref ThisThreadsCell().Misses);

    /// <summary>A put of a block already resident (an access, not a lookup).</summary>
    public readonly void AddPut() => Interlocked.Increment(ref ThisThreadsCell().Puts);

    /// <summary>This thread's cell, picked by the address of a local of this frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly unsafe ref Cell ThisThreadsCell()
    {
        byte local = 0;
        return ref CellOf((ulong)Unsafe.AsPointer(ref local));
    }

    /// <summary>
    /// The cell for a stack address: its megabyte, hashed. Each thread has its own stack (1.5 MiB or more apart), so
    /// this differs between threads for free, where a thread id costs a thread-local lookup that is a call on Linux,
    /// and that call was a quarter of the whole hit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ref Cell CellOf(ulong stackAddress)
    {
        // Fibonacci hashing: the product's top 6 bits pick one of the 64 cells.
        int stripe = (int)(((stackAddress >> 20) * 0x9E3779B97F4A7C15UL) >> 58);
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_cells), stripe);
    }

    /// <summary>The hits, bytes, misses and resident puts added since the last call. Call under the store's lock only.</summary>
    public (long Hits, long Bytes, long Misses, long Puts) TakeNew()
    {
        Cell sum = default;
        foreach (ref readonly Cell cell in _cells.AsSpan())
        {
            sum.Hits += Volatile.Read(in cell.Hits);
            sum.Bytes += Volatile.Read(in cell.Bytes);
            sum.Misses += Volatile.Read(in cell.Misses);
            sum.Puts += Volatile.Read(in cell.Puts);
        }

        (long, long, long, long) fresh =
            (sum.Hits - _folded.Hits, sum.Bytes - _folded.Bytes, sum.Misses - _folded.Misses, sum.Puts - _folded.Puts);
        _folded = (sum.Hits, sum.Bytes, sum.Misses, sum.Puts);
        return fresh;
    }

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Cell
    {
        [FieldOffset(64)]
        public long Hits;

        [FieldOffset(72)]
        public long Bytes;

        [FieldOffset(80)]
        public long Misses;

        [FieldOffset(88)]
        public long Puts;
    }
}
