using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Every resident block's metadata, one entry per block whatever its tier: an open-addressing hash index from key
/// to entry, the keys and parent keys as arrays of their own (a probe compares keys and nothing else), and the rest of
/// each entry packed in one record (<see cref="Entry"/>), read and written through per-field columns.
/// Not thread-safe: the store serializes access.
/// </summary>
/// <remarks>
/// Linear probing with backward-shift deletion (Knuth, TAOCP vol. 3, 6.4 algorithm R) keeps probe chains short
/// without piling up tombstones: a removal leaves one, and its shift runs a few removals later, once the store has
/// brought the bucket's line in (at most <see cref="PendingShifts"/> stand at once). The bucket array is sized to at
/// least four times the entry capacity, so the load factor stays ≤ 0.25: short runs make the probes' and the
/// backward shift's branches predictable. Each entry's bucket is kept in an array of its own, so placing or removing
/// an entry probes nothing, and a miss remembers where its probe ended, so the insert that usually follows probes
/// nothing either (a replay's miss used to probe five times).
/// </remarks>
internal sealed partial class BlockTable
{
    private readonly int[] _freeEntries;
    private int _lastAdded = -1; // a request's next block names it as parent: found without a probe
    private int _freeTop;
    private long _nextStamp = 1;
    private readonly bool _tracksChildren; // ChildCount kept (some policy reads it); else it stays 0

    public readonly BlockKey[] Keys;
    public readonly BlockKey[] Parents;
    public readonly ParentEntryColumn ParentEntry; // entry of the parent when it was resident at insert; -1 otherwise
    public readonly ParentStampColumn ParentStamp; // the parent's stamp then, so a recycled entry is not mistaken for it
    public readonly StampColumn Stamps;            // incarnation of each entry; 0 = free
    public readonly ChildCountColumn ChildCount;   // resident children that counted themselves in at insert (if tracked)
    public readonly DepthColumn Depth;
    public readonly SessionColumn Session;
    public readonly NextUseColumn NextUse;
    public readonly TierColumn Tier;
    public readonly SlotColumn Slot;
    public readonly PinsColumn Pins;               // user pins
    public readonly InFlightColumn InFlight;       // being moved by the store right now
    public readonly StagingColumn Staging;         // write-behind buffer holding the bytes until the tier's write lands; -1 none
    public readonly LabelsColumn Labels;           // set by the store after Add

    /// <param name="capacity">The most entries the table holds.</param>
    /// <param name="tracksChildren">Whether to keep <see cref="ChildCount"/> (false when no policy reads it: <see cref="IIgnoresChildren"/>).</param>
    public BlockTable(int capacity, bool tracksChildren = true)
    {
        Capacity = capacity;
        _tracksChildren = tracksChildren;
        // At least four buckets per entry (load ≤ 0.25), not two: a replay's miss probes for an absent key twice and
        // shifts its victim's run back, and the shorter runs made the WEKA replay at 1% (load 0.34 before, 0.17 now)
        // about 1.3x as fast (docs/harness.md "Speed", session speed10), for 18 to 36 more bytes of index per entry.
        int buckets = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, capacity) * 4));
        _buckets = CommittedArray.Allocate<Bucket>(buckets); // probed at random: its pages written now, not faulted in during a replay
        _mask = buckets - 1;
        _shifts = new byte[buckets];
        _bucketOf = new int[capacity];
        _pendingHoles = new int[Math.Min(PendingShifts, buckets / 4)];
        Array.Fill(_pendingHoles, -1);
        Keys = CommittedArray.Allocate<BlockKey>(capacity);
        Parents = CommittedArray.Allocate<BlockKey>(capacity);
        _entries = new Entry[capacity];
        Array.Fill(_entries, new Entry { Tier = -1, Slot = -1, Staging = -1, ParentEntry = -1 });
        ParentEntry = new(_entries);
        ParentStamp = new(_entries);
        Stamps = new(_entries);
        ChildCount = new(_entries);
        Depth = new(_entries);
        Session = new(_entries);
        NextUse = new(_entries);
        Tier = new(_entries);
        Slot = new(_entries);
        Pins = new(_entries);
        InFlight = new(_entries);
        Staging = new(_entries);
        Labels = new(_entries);
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
        ref Entry entry = ref _entries[e];
        entry.Tier = (sbyte)tier;
        entry.Slot = slot;
        _buckets[_bucketOf[e]].TopSlot = tier == 0 ? slot + 1 : 0;
    }

    /// <summary>Adds a new entry for a key known to be absent; returns it, or -1 when the table is full.</summary>
    /// <param name="key">The key, absent from the table.</param>
    /// <param name="parent">The parent's key, or empty.</param>
    /// <param name="depth">The block's depth, or negative: its parent's plus one (0 without a resident parent).</param>
    /// <param name="session">The owning session (0 when unknown).</param>
    /// <param name="nextUse">Oracle next use, or <see cref="long.MaxValue"/>.</param>
    /// <param name="labels">The block's workload labels.</param>
    /// <param name="end">
    /// The empty bucket the key's arrival probe ended at while <see cref="Ends"/> still holds it (the key is put there
    /// without probing), or -1 to probe.
    /// </param>
    public int Add(in BlockKey key, in BlockKey parent, int depth, long session, long nextUse, WorkloadLabels labels = default,
        int end = -1)
    {
        if (_freeTop == 0)
        {
            return -1;
        }

        int e = _freeEntries[--_freeTop];
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

        _buckets[i] = new Bucket { Entry = e + 1 };
        _bucketOf[e] = i;
        _shifts[i] = Shift(i, home, _mask);
        _version++;
        Keys[e] = key;
        Parents[e] = parent;

        // InFlight false, Staging, Tier and Slot -1: as every free entry is left (constructor, Remove), not written again.
        ref Entry entry = ref _entries[e];
        entry.Stamp = _nextStamp++;
        entry.ChildCount = 0;
        entry.Session = session;
        entry.NextUse = nextUse;
        entry.Pins = 0;
        entry.Labels = labels;

        int p = parent.IsEmpty ? -1 : EntryOfParent(parent);
        _lastAdded = e;
        if (p >= 0)
        {
            ref Entry parentEntry = ref _entries[p];
            entry.ParentEntry = p;
            entry.ParentStamp = parentEntry.Stamp;
            if (_tracksChildren)
            {
                parentEntry.ChildCount++;
            }

            entry.Depth = depth >= 0 ? depth : parentEntry.Depth + 1;
        }
        else
        {
            entry.ParentEntry = -1;
            entry.ParentStamp = 0;
            entry.Depth = depth >= 0 ? depth : 0;
        }

        return e;
    }

    /// <summary>
    /// Whether entry <paramref name="e"/>, found for <paramref name="key"/> by a request's arrival lookup (negative:
    /// not found), still holds it: the table lost no entry since (<paramref name="unchanged"/>, <see cref="Removals"/>),
    /// or the entry is live and keyed so (one that left may have come back in another entry or slot).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool StillFound(int e, in BlockKey key, bool unchanged) =>
        e >= 0 && (unchanged || (Stamps[e] != 0 && Keys[e].Equals(key)));

    /// <summary>What the policy of tier <paramref name="tier"/> is told about entry <paramref name="e"/> when asked to admit it.</summary>
    public BlockInfo Describe(int e, int tier, int size, bool isDemotion)
    {
        int p = LiveParent(e);
        int parentHandle = p >= 0 && Tier[p] == tier ? Slot[p] : -1;
        return new BlockInfo(Keys[e], Parents[e], parentHandle, Depth[e], Session[e], size, NextUse[e], isDemotion);
    }

    /// <summary>The entry of <paramref name="e"/>'s parent if that parent is still the one it counted itself into.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int LiveParent(int e)
    {
        ref Entry entry = ref _entries[e];
        int p = entry.ParentEntry;
        return p >= 0 && _entries[p].Stamp == entry.ParentStamp ? p : -1;
    }

    /// <summary>
    /// Records what an access of entry <paramref name="e"/> tells about it: its session and labels when the access
    /// carries them, and when it is next used.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NoteAccess(int e, in BlockContext context)
    {
        ref Entry entry = ref _entries[e];
        if (context.Session != 0)
        {
            entry.Session = context.Session;
        }

        if (!context.Labels.IsUnlabeled)
        {
            entry.Labels = context.Labels;
        }

        entry.NextUse = context.NextUse;
    }

    /// <summary>Whether the entry may be evicted or moved: no user pin, not in flight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsEvictable(int e)
    {
        if (_held == 0)
        {
            return true; // nothing pinned or in flight (always, in a replay): the record's line is not loaded
        }

        ref Entry entry = ref _entries[e];
        return entry.Pins == 0 && !entry.InFlight;
    }

    /// <summary>Removes entry <paramref name="e"/> from the index and frees it.</summary>
    public void Remove(int e)
    {
        if (_tracksChildren)
        {
            // The parent's record is a cold line for most victims: loaded only when some policy reads the counts.
            int p = LiveParent(e);
            if (p >= 0)
            {
                _entries[p].ChildCount--;
            }
        }

        Unindex(e);
        Removals++;
        ref Entry entry = ref _entries[e];
        if (_held != 0)
        {
            Unhold(ref entry);
        }

        entry.Stamp = 0;
        entry.InFlight = false;
        entry.Staging = -1;
        entry.Tier = -1;
        entry.Slot = -1;
        _freeEntries[_freeTop++] = e;
    }

    /// <summary>The entry of a new block's parent: usually the block added just before it, else a probe.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int EntryOfParent(in BlockKey parent)
    {
        int last = _lastAdded;
        return last >= 0 && _entries[last].Stamp != 0 && Keys[last].Equals(parent) ? last : Find(parent);
    }
}
