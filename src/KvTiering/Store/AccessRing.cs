using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// The hits the lock-free read path served and has not yet told the policies about: a bounded multi-producer,
/// single-consumer ring. Readers append without a lock; the store drains it under its lock before anything that
/// depends on recency (a put, an eviction, a statistics snapshot), so policies still see every access, in order.
/// </summary>
/// <remarks>
/// The cell-sequence protocol is Dmitry Vyukov's bounded MPMC queue (1024cores.net, "Bounded MPMC queue"), used here
/// with one consumer. Deferring recency updates to a buffer drained under the lock is the technique of Caffeine and
/// BitFaster.Caching's ConcurrentLfu ("BP-Wrapper", Ding et al., ICDE 2009).
/// </remarks>
internal sealed class AccessRing
{
    private readonly Cell[] _cells;
    private readonly int _mask;
    private PaddedLong _tail;
    private long _head; // consumer only, under the store's lock

    public AccessRing(int capacity)
    {
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _cells = new Cell[size];
        _mask = size - 1;
        for (int i = 0; i < size; i++)
        {
            _cells[i].Sequence = i;
        }
    }

    /// <summary>Whether nothing is waiting to be drained (a hint: a concurrent reader may be appending).</summary>
    public bool IsEmpty => Volatile.Read(ref _tail.Value) == _head;

    /// <summary>Appends a hit; false when the ring is full (the caller then takes the lock and drains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAdd(in BlockKey key, int entry, long version, int bytes)
    {
        Cell[] cells = _cells;
        while (true)
        {
            long position = Volatile.Read(ref _tail.Value);
            ref Cell cell = ref cells[(int)position & _mask];
            long sequence = Volatile.Read(ref cell.Sequence);
            if (sequence == position)
            {
                if (Interlocked.CompareExchange(ref _tail.Value, position + 1, position) == position)
                {
                    cell.Hit = new QueuedHit(key, version, entry, bytes);
                    Volatile.Write(ref cell.Sequence, position + 1);
                    return true;
                }
            }
            else if (sequence < position)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Moves the published hits, oldest first, into <paramref name="into"/>: at most its length, stopping at a cell a
    /// reader has claimed but not yet filled (the next drain picks it up). Call under the store's lock only.
    /// </summary>
    public int Drain(Span<QueuedHit> into)
    {
        Cell[] cells = _cells;
        long head = _head;
        int drained = 0;
        while (drained < into.Length)
        {
            ref Cell cell = ref cells[(int)head & _mask];
            if (Volatile.Read(ref cell.Sequence) != head + 1)
            {
                break;
            }

            into[drained++] = cell.Hit;
            Volatile.Write(ref cell.Sequence, head + cells.Length);
            head++;
        }

        _head = head;
        return drained;
    }

    private struct Cell
    {
        public long Sequence;
        public QueuedHit Hit;
    }

    // Keeps the producers' counter off the cache line of the consumer's and the array reference.
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedLong
    {
        [FieldOffset(64)]
        public long Value;
    }
}
