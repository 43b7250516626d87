using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using KvTiering.Blocks;
using KvTiering.Eviction;

namespace KvTiering.Store;

/// <summary>
/// The key index of <see cref="BlockTable"/>: open addressing from key to entry, each entry's bucket kept beside it,
/// and each bucket's top-tier slot, so a top-tier hit reads no per-entry record. Not thread-safe: the table's owner
/// serializes changes; a lock-free reader probes through <see cref="TopSlots"/> and validates.
/// </summary>
/// <remarks>
/// Linear probing with backward-shift deletion (Knuth, TAOCP vol. 3, 6.4 algorithm R) keeps probe chains short
/// without piling up tombstones: a removal leaves one, and its shift runs a few removals later, once the store has
/// brought the bucket's line in (at most <see cref="PendingShifts"/> stand at once). The bucket array is sized to at
/// least four times the entry capacity, so the load factor stays ≤ 0.25: short runs make the probes' and the
/// backward shift's branches predictable. Each entry's bucket is kept in an array of its own, so placing or removing
/// an entry probes nothing, and a miss remembers where its probe ended, so the insert that usually follows probes
/// nothing either (a replay's miss used to probe five times).
/// A mutable struct held in place by its one owner (<see cref="BlockTable"/>'s field, never copied), so a lookup
/// through the table loads the index's arrays straight from the table's object, no dependent load more than when the
/// index was the table's own fields (the replay's hot loop and the store's hit path go through it).
/// </remarks>
internal struct BlockIndex
{
    private readonly IndexBucket[] _buckets;
    private readonly BlockKey[] _keys; // the table's keys, by entry: a probe compares keys and nothing else
    private readonly int _mask;
    private readonly int[] _bucketOf;  // per entry, the bucket that holds it (kept through backward shifts)
    private readonly byte[] _shifts;  // per bucket, how far its key sits past its home (Saturated: hash the key)
    private int _version;             // bumped by every change of the buckets' entries
    private BlockKey _missKey;        // the last key Find missed, the empty bucket its probe ended at, and when
    private int _missBucket;
    private int _missVersion;
    private readonly int[] _pendingHoles; // tombstoned buckets awaiting their shift, a ring (a power of two long); -1 none
    private int _pendingNext;         // the ring's next position: its oldest hole once the ring is full
    private ProbeEnds? _ends;         // where a request's absent keys ended their probes, while still free (Ends)

    /// <param name="capacity">The most entries the table holds.</param>
    /// <param name="keys">The table's keys by entry (as long as its capacity), read by every probe.</param>
    public BlockIndex(int capacity, BlockKey[] keys)
    {
        // At least four buckets per entry (load ≤ 0.25), not two: a replay's miss probes for an absent key twice and
        // shifts its victim's run back, and the shorter runs made the WEKA replay at 1% (load 0.34 before, 0.17 now)
        // about 1.3x as fast (docs/harness.md "Speed", session speed10), for 18 to 36 more bytes of index per entry.
        int buckets = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, capacity) * 4));
        _buckets = CommittedArray.Allocate<IndexBucket>(buckets); // probed at random: its pages written now, not faulted in during a replay
        _keys = keys;
        _mask = buckets - 1;
        _shifts = new byte[buckets];
        _bucketOf = new int[capacity];
        _pendingHoles = new int[Math.Min(PendingShifts, buckets / 4)];
        Array.Fill(_pendingHoles, -1);
        _missVersion = -1;
    }

    /// <summary>
    /// How many removals a bucket's backward shift waits at most (<see cref="Remove"/> says why); a power of two. A
    /// small table waits fewer, a quarter of its buckets: with its entries (another quarter at most) at least half the
    /// buckets stay empty, so every probe ends.
    /// </summary>
    internal const int PendingShifts = 16;

    /// <summary><see cref="IndexBucket.Entry"/> of a removed entry's bucket until its backward shift: occupied, never matching.</summary>
    internal const int Tombstone = -1;

    /// <summary>A displacement too large for a byte: the key's home is found by hashing it.</summary>
    private const byte Saturated = byte.MaxValue;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Hash(in BlockKey key)
    {
        // Keys are already uniform hashes; fold both halves so synthetic keys (harness ids) spread too.
        ulong h = (key.Low * 0x9E3779B97F4A7C15UL) ^ key.High;
        return (int)(h ^ (h >> 29));
    }

    /// <summary>The entry of <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in BlockKey key) => Find(key, out _);

    /// <summary>
    /// <see cref="Find(in BlockKey)"/>, also giving the entry's slot when it lies in the top tier (else -1), read from
    /// its bucket, so a caller that needs no other column reads none.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in BlockKey key, out int topSlot)
    {
        IndexBucket[] buckets = _buckets;
        BlockKey[] keys = _keys;
        int i = Hash(key) & _mask;
        while (true)
        {
            IndexBucket bucket = buckets[i];
            int e = bucket.Entry - 1;
            if (e < 0)
            {
                if (bucket.Entry == Tombstone)
                {
                    i = (i + 1) & _mask;
                    continue;
                }

                // A miss is usually followed by the Add of the same key: remember the empty bucket the probe ended at.
                _missKey = key;
                _missBucket = i;
                _missVersion = _version;
                topSlot = -1;
                return -1;
            }

            if (keys[e].Equals(key))
            {
                topSlot = bucket.TopSlot - 1;
                return e;
            }

            i = (i + 1) & _mask;
        }
    }

    /// <summary>
    /// The buckets at which the arrival lookup of the request being offered ended its probes for absent keys, kept
    /// while each is still free for its key (<see cref="ProbeEnds"/>); null until <see cref="TrackProbeEnds"/>.
    /// </summary>
    public ProbeEnds? Ends => _ends;

    /// <summary>Starts keeping <see cref="Ends"/> (a store whose requests are offered outright); returns it.</summary>
    public ProbeEnds TrackProbeEnds() => _ends ??= new ProbeEnds(BucketCount);

    /// <summary>How many buckets the index has (a power of two, at least four times the capacity).</summary>
    public int BucketCount => _mask + 1;

    /// <summary>
    /// The empty bucket the last missed <see cref="Find(in BlockKey, out int)"/> ended at. While no bucket changes,
    /// equal keys end at the same bucket, so keys that end at different buckets differ.
    /// </summary>
    public int LastMissBucket => _missBucket;

    /// <summary>
    /// The lock-free probes over the index's arrays and mask, which stay the same for the table's life, for a reader to
    /// hold in place: the reference-bit hit then probes without loading the table first.
    /// </summary>
    public readonly TopSlotProbe TopSlots => new(_buckets, _keys, _mask);

    /// <summary>Indexes entry <paramref name="e"/> under <paramref name="key"/>, known absent.</summary>
    /// <param name="key">The key, absent from the index.</param>
    /// <param name="e">The entry, not indexed.</param>
    /// <param name="end">
    /// The empty bucket the key's arrival probe ended at while <see cref="Ends"/> still holds it (the key is put there
    /// without probing), or -1 to probe.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Insert(in BlockKey key, int e, int end)
    {
        int home = Hash(key) & _mask;
        int i;
        if (end >= 0)
        {
            System.Diagnostics.Debug.Assert(_buckets[end].Entry == 0 && _ends!.Holds(end), "a held probe end is empty");
            i = end;
        }
        else
        {
            i = EmptyBucketFor(key, home);
            _ends?.Forget(i); // the key whose probe ended here (if any) must probe again
        }

        _buckets[i] = new IndexBucket { Entry = e + 1 };
        _bucketOf[e] = i;
        _shifts[i] = Shift(i, home, _mask);
        _version++;
    }

    /// <summary>Records in entry <paramref name="e"/>'s bucket its top-tier slot, or -1 when it is not in the top tier.</summary>
    public readonly void SetTopSlot(int e, int topSlot) => _buckets[_bucketOf[e]].TopSlot = topSlot + 1;

    /// <summary>
    /// An empty bucket for <paramref name="key"/>, known absent: the one its last <see cref="Find(in BlockKey)"/> ended at when
    /// no bucket changed since (the usual miss-then-add), else a fresh probe; <paramref name="home"/> is the key's home bucket.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int EmptyBucketFor(in BlockKey key, int home)
    {
        if (_missVersion == _version && _missKey.Equals(key))
        {
            return _missBucket;
        }

        int i = home;
        while (_buckets[i].Entry != 0)
        {
            i = (i + 1) & _mask;
        }

        return i;
    }

    /// <summary>
    /// Takes entry <paramref name="e"/> out of the index: its bucket becomes a tombstone now, and is emptied by a
    /// backward shift <see cref="PendingShifts"/> removals later (fewer in a small table).
    /// </summary>
    /// <remarks>
    /// The shift has to read the buckets after the victim's, and a victim's bucket line is cold: the replay's
    /// profile had a sixth of its samples on that one load (docs/harness.md "Speed", session speed12). A tombstone is
    /// a store, which does not wait for the line, and by the time the shift runs the store has brought the line in.
    /// At most <see cref="PendingShifts"/> tombstones stand at once, so probes stay as short as without them, and no
    /// rehash is ever needed. A tombstone is occupied for every probe and matches no key, it is never moved or reused
    /// (a shift passes over it), so each one is still where its ring entry says when its turn comes.
    /// </remarks>
    public void Remove(int e)
    {
        int hole = _bucketOf[e];
        _buckets[hole] = new IndexBucket { Entry = Tombstone };
        _shifts[hole] = 0; // a store that brings the displacements' line in for the shift too
        ref int pending = ref _pendingHoles[_pendingNext];
        if (pending >= 0)
        {
            ShiftBack(pending);
        }

        pending = hole;
        _pendingNext = (_pendingNext + 1) & (_pendingHoles.Length - 1);
    }

    /// <summary>Empties the tombstone at <paramref name="hole"/>, pulling later members of its probe run back into it.</summary>
    private void ShiftBack(int hole)
    {
        System.Diagnostics.Debug.Assert(_buckets[hole].Entry == Tombstone, "a pending hole is still its tombstone");
        // Backward shift (Knuth's algorithm R): lookups never stop early at the hole, and tombstones do not pile up.
        // Each occupant's home comes from its byte in _shifts, next to the buckets scanned, instead of hashing its
        // key: the key sits in a line of its own, a cache miss per occupant, and a byte per bucket (a quarter of an
        // int's) keeps the side array in a near cache. Another tombstone in the run stays put (as if at its home).
        IndexBucket[] buckets = _buckets;
        byte[] shifts = _shifts;
        int mask = _mask;
        int[] bucketOf = _bucketOf;
        int j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            IndexBucket occupant = buckets[j];
            if (occupant.Entry <= 0)
            {
                if (occupant.Entry == 0)
                {
                    // A probe that passed the bucket this shift empties ended here: it may end earlier now.
                    _ends?.Forget(j);
                    break;
                }

                continue;
            }

            int shift = shifts[j];
            int home = shift == Saturated ? Hash(_keys[occupant.Entry - 1]) & mask : (j - shift) & mask;
            bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable)
            {
                buckets[hole] = occupant;
                shifts[hole] = Shift(hole, home, mask);
                bucketOf[occupant.Entry - 1] = hole;
                hole = j;
            }
        }

        buckets[hole] = default;
        _version++;
    }

    /// <summary>
    /// Asks the processor to start loading where entry <paramref name="e"/>'s bucket is kept (a removal's first load),
    /// for an entry likely to be evicted soon. A hint only: no effect on any outcome; nothing for a negative entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void PrefetchBucketOf(int e)
    {
        if (Sse.IsSupported && (uint)e < (uint)_bucketOf.Length)
        {
            // A prefetch never faults and changes no value, so an address the collector may move right after is harmless.
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_bucketOf), e)));
        }
    }

    /// <summary>How far bucket <paramref name="bucket"/> lies past <paramref name="home"/>, saturated to a byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Shift(int bucket, int home, int mask) => (byte)Math.Min((bucket - home) & mask, Saturated);
}
