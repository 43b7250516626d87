using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// A bounded FIFO set of block keys, for the ghost queues of S3-FIFO and ARC: keys of blocks recently evicted,
/// remembered without their data. Adding to a full set forgets the oldest key. Everything lives in arrays sized at
/// construction; nothing allocates afterwards.
/// </summary>
/// <remarks>
/// Keys sit in numbered cells; a <see cref="HandleList"/> over the cells keeps the FIFO order (so a hit can leave
/// from the middle in O(1)), and an open-addressing index with backward-shift deletion (Knuth, TAOCP vol. 3, 6.4
/// algorithm R) maps a key to its cell, at load factor ≤ 0.5. Each bucket keeps its key's home beside its cell (one
/// line for both) and each cell its bucket, so forgetting the oldest key probes nothing and a shift reads no key
/// (ARC's replay spent a seventh of its time here).
/// </remarks>
internal sealed class GhostSet
{
    private readonly BlockKey[] _keys;
    private readonly HandleList _order;   // head = newest, tail = oldest
    private readonly int[] _free;
    private readonly Bucket[] _buckets;
    private readonly int[] _bucketOf;     // per cell, the bucket indexing it: forgetting the oldest probes nothing
    private readonly int _mask;
    private int _freeTop;

    public GhostSet(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        _keys = new BlockKey[capacity];
        _order = new HandleList(capacity);
        _free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }

        _freeTop = capacity;
        int buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, capacity * 4));
        _buckets = new Bucket[buckets];
        _bucketOf = new int[capacity];
        _mask = buckets - 1;
    }

    /// <summary>The most keys the set remembers.</summary>
    public int Capacity { get; }

    /// <summary>Keys remembered now.</summary>
    public int Count => _order.Count;

    public bool Contains(in BlockKey key) => FindBucket(key) >= 0;

    /// <summary>Remembers <paramref name="key"/> as the newest, forgetting the oldest when full. No-op if present.</summary>
    public void Add(in BlockKey key)
    {
        if (Capacity == 0 || FindBucket(key, out int i) >= 0)
        {
            return;
        }

        int home = Hash(key) & _mask;
        if (_freeTop == 0)
        {
            RemoveOldest();
            for (i = home; _buckets[i].Cell != 0; i = (i + 1) & _mask)
            {
                // The shift may have moved the empty bucket the probe ended at: probe again.
            }
        }

        int cell = _free[--_freeTop];
        _keys[cell] = key;
        _order.PushFront(cell);

        _buckets[i] = new Bucket { Cell = cell + 1, Home = home };
        _bucketOf[cell] = i;
    }

    /// <summary>Forgets <paramref name="key"/>; returns whether it was remembered.</summary>
    public bool Remove(in BlockKey key)
    {
        int bucket = FindBucket(key);
        if (bucket < 0)
        {
            return false;
        }

        Forget(_buckets[bucket].Cell - 1, bucket);
        return true;
    }

    /// <summary>Forgets the oldest key; returns false when the set is empty.</summary>
    public bool RemoveOldest()
    {
        int cell = _order.Tail;
        if (cell < 0)
        {
            return false;
        }

        Forget(cell, _bucketOf[cell]);
        return true;
    }

    /// <summary>Drops <paramref name="cell"/>, indexed at <paramref name="bucket"/>, from the index and the order.</summary>
    private void Forget(int cell, int bucket)
    {
        DeleteBucket(bucket);
        _order.Remove(cell);
        _free[_freeTop++] = cell;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(in BlockKey key)
    {
        ulong h = (key.Low * 0x9E3779B97F4A7C15UL) ^ key.High;
        return (int)(h ^ (h >> 29));
    }

    private int FindBucket(in BlockKey key) => FindBucket(key, out _);

    /// <summary>The bucket indexing <paramref name="key"/>, or -1 with <paramref name="empty"/> the empty bucket the probe ended at.</summary>
    private int FindBucket(in BlockKey key, out int empty)
    {
        int i = Hash(key) & _mask;
        while (true)
        {
            int cell = _buckets[i].Cell - 1;
            if (cell < 0)
            {
                empty = i;
                return -1;
            }

            if (_keys[cell].Equals(key))
            {
                empty = -1;
                return i;
            }

            i = (i + 1) & _mask;
        }
    }

    private void DeleteBucket(int hole)
    {
        // Backward shift: pull later members of the probe run into the hole so lookups never stop early.
        int j = hole;
        while (true)
        {
            j = (j + 1) & _mask;
            Bucket occupant = _buckets[j];
            if (occupant.Cell == 0)
            {
                break;
            }

            int home = occupant.Home;
            bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable)
            {
                _buckets[hole] = occupant;
                _bucketOf[occupant.Cell - 1] = hole;
                hole = j;
            }
        }

        _buckets[hole] = default;
    }

    /// <summary>An index slot: the cell it maps to and its key's home bucket, read together by a backward shift.</summary>
    private struct Bucket
    {
        public int Cell; // cell + 1; 0 = empty
        public int Home;
    }
}
