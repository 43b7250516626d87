using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Every resident block's metadata, one entry per block whatever its tier: an open-addressing hash index from key
/// to entry, and the entries themselves as structure-of-arrays so a scan touches only the fields it reads.
/// Not thread-safe: the store serializes access.
/// </summary>
/// <remarks>
/// Linear probing with backward-shift deletion (Knuth, TAOCP vol. 3, 6.4 algorithm R) keeps probe chains short
/// without tombstones. The bucket array is sized to at least twice the entry capacity, so the load factor stays ≤ 0.5.
/// Each entry's bucket is kept beside it, so placing or removing an entry probes nothing, and a miss remembers where
/// its probe ended, so the insert that usually follows probes nothing either (a replay's miss used to probe five times).
/// </remarks>
internal sealed partial class BlockTable
{
    private readonly int[] _freeEntries;
    private int _lastAdded = -1; // a request's next block names it as parent: found without a probe
    private int _freeTop;
    private long _nextStamp = 1;

    public readonly BlockKey[] Keys;
    public readonly BlockKey[] Parents;
    public readonly int[] ParentEntry;   // entry of the parent when it was resident at insert; -1 otherwise
    public readonly long[] ParentStamp;  // the parent's stamp then, so a recycled entry is not mistaken for it
    public readonly long[] Stamps;       // incarnation of each entry; 0 = free
    public readonly int[] ChildCount;    // resident children that counted themselves in at insert
    public readonly int[] Depth;
    public readonly long[] Session;
    public readonly long[] NextUse;
    public readonly sbyte[] Tier;
    public readonly int[] Slot;
    public readonly int[] Pins;          // user pins
    public readonly bool[] InFlight;     // being moved by the store right now
    public readonly int[] Staging;       // write-behind buffer holding the bytes until the tier's write lands; -1 none
    public readonly WorkloadLabels[] Labels; // one byte each; set by the store after Add

    public BlockTable(int capacity)
    {
        Capacity = capacity;
        int buckets = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, capacity) * 2));
        _buckets = new Bucket[buckets];
        _mask = buckets - 1;
        _bucketOf = new int[capacity];
        _homes = new int[buckets];
        Keys = new BlockKey[capacity];
        Parents = new BlockKey[capacity];
        ParentEntry = new int[capacity];
        ParentStamp = new long[capacity];
        Stamps = new long[capacity];
        ChildCount = new int[capacity];
        Depth = new int[capacity];
        Session = new long[capacity];
        NextUse = new long[capacity];
        Tier = new sbyte[capacity];
        Slot = new int[capacity];
        Pins = new int[capacity];
        InFlight = new bool[capacity];
        Staging = new int[capacity];
        Array.Fill(Staging, -1);
        Array.Fill(Tier, (sbyte)-1);
        Array.Fill(Slot, -1);
        Labels = new WorkloadLabels[capacity];
        _freeEntries = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _freeEntries[i] = capacity - 1 - i;
        }

        _freeTop = capacity;
    }

    public int Capacity { get; }

    public int Count => Capacity - _freeTop;

    /// <summary>How many entries were removed so far: an entry found before is still the same while this is unchanged.</summary>
    public long Removals { get; private set; }

    /// <summary>Records where entry <paramref name="e"/> lives (tier -1 and slot -1: nowhere, for now).</summary>
    public void Place(int e, int tier, int slot)
    {
        Tier[e] = (sbyte)tier;
        Slot[e] = slot;
        _buckets[_bucketOf[e]].TopSlot = tier == 0 ? slot + 1 : 0;
    }

    /// <summary>Adds a new entry for a key known to be absent; returns it, or -1 when the table is full.</summary>
    public int Add(in BlockKey key, in BlockKey parent, int depth, long session, long nextUse)
    {
        if (_freeTop == 0)
        {
            return -1;
        }

        int e = _freeEntries[--_freeTop];
        int i = EmptyBucketFor(key, out int home);
        _buckets[i] = new Bucket { Entry = e + 1 };
        _homes[i] = home;
        _bucketOf[e] = i;
        _version++;
        Keys[e] = key;
        Parents[e] = parent;
        Stamps[e] = _nextStamp++;
        ChildCount[e] = 0;
        Session[e] = session;
        NextUse[e] = nextUse;
        Pins[e] = 0;
        Labels[e] = default;

        // InFlight false, Staging, Tier and Slot -1: as every free entry is left (constructor, Remove), not written again.

        int p = parent.IsEmpty ? -1 : EntryOfParent(parent);
        _lastAdded = e;
        if (p >= 0)
        {
            ParentEntry[e] = p;
            ParentStamp[e] = Stamps[p];
            ChildCount[p]++;
            Depth[e] = depth >= 0 ? depth : Depth[p] + 1;
        }
        else
        {
            ParentEntry[e] = -1;
            ParentStamp[e] = 0;
            Depth[e] = depth >= 0 ? depth : 0;
        }

        return e;
    }

    /// <summary>The entry of <paramref name="e"/>'s parent if that parent is still the one it counted itself into.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int LiveParent(int e)
    {
        int p = ParentEntry[e];
        return p >= 0 && Stamps[p] == ParentStamp[e] ? p : -1;
    }

    /// <summary>Whether the entry may be evicted or moved: no user pin, not in flight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsEvictable(int e) => Pins[e] == 0 && !InFlight[e];

    /// <summary>Removes entry <paramref name="e"/> from the index and frees it.</summary>
    public void Remove(int e)
    {
        int p = LiveParent(e);
        if (p >= 0)
        {
            ChildCount[p]--;
        }

        Unindex(e);
        Removals++;
        Stamps[e] = 0;
        InFlight[e] = false;
        Staging[e] = -1;
        Tier[e] = -1;
        Slot[e] = -1;
        _freeEntries[_freeTop++] = e;
    }

    /// <summary>The entry of a new block's parent: usually the block added just before it, else a probe.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int EntryOfParent(in BlockKey parent)
    {
        int last = _lastAdded;
        return last >= 0 && Stamps[last] != 0 && Keys[last].Equals(parent) ? last : Find(parent);
    }
}
