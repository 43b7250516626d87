using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// Key → slot for a fixed set of slots whose keys the owner keeps (<c>keys[slot]</c>): an open-addressing index of
/// slot numbers, so a lookup probes an int array and compares the owner's keys, with no entry objects, no hash-code
/// call and no division. Allocates nothing after construction. Not thread-safe.
/// </summary>
/// <remarks>
/// Linear probing with backward-shift deletion (Knuth, TAOCP vol. 3, 6.4 algorithm R), at most half full, as the
/// store's block table and <see cref="GhostSet"/>. It answers exactly what a <c>Dictionary&lt;BlockKey, int&gt;</c>
/// would; only the time differs. As in <see cref="GhostSet"/>, each bucket keeps its key's hash beside its slot and
/// each slot its bucket, so removing a slot probes nothing, a shift reads no key (a shadow cache of the agent
/// policy removes one slot per miss), and a probe reads the owner's key only where the whole 32-bit hash matches
/// (a lookup that misses, the common case of a ghost list, reads no key at all).
/// </remarks>
internal sealed class KeySlotIndex
{
    private readonly BlockKey[] _keys;
    private readonly Bucket[] _buckets;
    private readonly int[] _bucketOf; // per slot, the bucket indexing it
    private readonly int _mask;

    /// <param name="keys">The owner's key per slot; a slot's key must stay put while the slot is indexed.</param>
    /// <param name="bucketsPerSlot">Buckets per slot (rounded up to a power of two in all): 2 keeps the index at most
    /// half full; a ghost list, whose misses are its common case, takes 4 for shorter probe runs.</param>
    public KeySlotIndex(BlockKey[] keys, int bucketsPerSlot = 2)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketsPerSlot, 2);
        _keys = keys;
        int buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, keys.Length * bucketsPerSlot));
        _buckets = CommittedArray.Allocate<Bucket>(buckets);
        _bucketOf = CommittedArray.Allocate<int>(keys.Length);
        _mask = buckets - 1;
    }

    /// <summary>The slot indexed under <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in BlockKey key)
    {
        int bucket = FindBucket(key);
        return bucket < 0 ? -1 : _buckets[bucket].Slot - 1;
    }

    /// <summary>Indexes <paramref name="slot"/>, whose key (<c>keys[slot]</c>) is not indexed yet.</summary>
    public void Add(int slot)
    {
        int hash = Hash(_keys[slot]);
        int i = hash & _mask;
        while (_buckets[i].Slot != 0)
        {
            i = (i + 1) & _mask;
        }

        _buckets[i] = new Bucket { Slot = slot + 1, Hash = hash };
        _bucketOf[slot] = i;
    }

    /// <summary>
    /// Re-points the entry of <paramref name="from"/>, which is indexed, to <paramref name="to"/>, which is not and
    /// whose key the owner has set to <paramref name="from"/>'s: a key changing cells (a shadow's victim becoming a
    /// ghost) without a removal and a probe.
    /// </summary>
    public void Move(int from, int to)
    {
        int bucket = _bucketOf[from];
        _buckets[bucket].Slot = to + 1;
        _bucketOf[to] = bucket;
    }

    /// <summary>Forgets <paramref name="slot"/>, which is indexed, without looking its key up.</summary>
    public void RemoveSlot(int slot) => DeleteBucket(_bucketOf[slot]);

    /// <summary>Forgets <paramref name="key"/>; false when it is not indexed.</summary>
    public bool Remove(in BlockKey key)
    {
        int bucket = FindBucket(key);
        if (bucket < 0)
        {
            return false;
        }

        DeleteBucket(bucket);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(in BlockKey key)
    {
        ulong h = (key.Low * 0x9E3779B97F4A7C15UL) ^ key.High;
        return (int)(h ^ (h >> 29));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindBucket(in BlockKey key)
    {
        Bucket[] buckets = _buckets;
        BlockKey[] keys = _keys;
        int hash = Hash(key);
        int i = hash & _mask;
        while (true)
        {
            Bucket bucket = buckets[i];
            int slot = bucket.Slot - 1;
            if (slot < 0)
            {
                return -1;
            }

            if (bucket.Hash == hash && keys[slot].Equals(key))
            {
                return i;
            }

            i = (i + 1) & _mask;
        }
    }

    private void DeleteBucket(int hole)
    {
        // Backward shift: pull later members of the probe run into the hole so lookups never stop early.
        Bucket[] buckets = _buckets;
        int mask = _mask;
        int j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            Bucket occupant = buckets[j];
            if (occupant.Slot == 0)
            {
                break;
            }

            int home = occupant.Hash & mask;
            bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable)
            {
                buckets[hole] = occupant;
                _bucketOf[occupant.Slot - 1] = hole;
                hole = j;
            }
        }

        buckets[hole] = default;
    }

    /// <summary>An index entry: the slot it maps to and its key's hash (its home bucket in the low bits), read together.</summary>
    private struct Bucket
    {
        public int Slot; // slot + 1; 0 = empty
        public int Hash;
    }
}
