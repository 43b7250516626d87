using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KvTiering.Store;

/// <summary>
/// Counts of what the lock-free read path answered without queueing anything: misses, and hits (with their bytes) in
/// a top tier with reference bits. One padded cell per stripe, picked by the stack's address (so by thread), so
/// concurrent readers rarely share a cache line. Readers add atomically; the store folds the sums in under the lock.
/// </summary>
/// <remarks>
/// Striping a hot counter is the technique of Java's LongAdder and BitFaster.Caching's <c>Counter</c>; an atomic add
/// to a cell no other core touches costs about as much as a plain one.
/// </remarks>
internal sealed class LockFreeCounts
{
    private readonly Cell[] _cells;
    private readonly int _mask;
    private long _foldedHits;
    private long _foldedBytes;
    private long _foldedMisses;

    public LockFreeCounts()
    {
        int stripes = Math.Clamp(2 * Environment.ProcessorCount, 2, 64);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)stripes);
        _cells = new Cell[size];
        _mask = size - 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddHit(int bytes)
    {
        ref Cell cell = ref _cells[ThisThreadsStripe() & _mask];
        Interlocked.Increment(ref cell.Hits);
        if (bytes != 0)
        {
            Interlocked.Add(ref cell.Bytes, bytes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddMiss() => Interlocked.Increment(ref _cells[ThisThreadsStripe() & _mask].Misses);

    /// <summary>
    /// A number that differs between threads, for free: the megabyte of the stack this frame lies in. Each thread has
    /// its own stack (1.5 MiB or more apart), where a thread id costs a thread-local lookup that is a call on Linux,
    /// and that call was a quarter of the whole hit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int ThisThreadsStripe()
    {
        byte local = 0;
        ulong megabyte = (ulong)Unsafe.AsPointer(ref local) >> 20;
        return (int)((megabyte * 0x9E3779B97F4A7C15UL) >> 58); // Fibonacci hashing: high bits of the product
    }

    /// <summary>The hits, bytes and misses added since the last call. Call under the store's lock only.</summary>
    public (long Hits, long Bytes, long Misses) TakeNew()
    {
        long hits = 0;
        long bytes = 0;
        long misses = 0;
        foreach (ref readonly Cell cell in _cells.AsSpan())
        {
            hits += Volatile.Read(in cell.Hits);
            bytes += Volatile.Read(in cell.Bytes);
            misses += Volatile.Read(in cell.Misses);
        }

        (long Hits, long Bytes, long Misses) fresh = (hits - _foldedHits, bytes - _foldedBytes, misses - _foldedMisses);
        _foldedHits = hits;
        _foldedBytes = bytes;
        _foldedMisses = misses;
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
    }
}
