using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Every resident block's metadata, one entry per block whatever its tier: the key index (<see cref="BlockIndex"/>),
/// the keys and parent keys as arrays of their own (a probe compares keys and nothing else), and the rest of each entry
/// packed in one record (<see cref="BlockEntry"/>), read and written through per-field columns; which entries are free
/// (<see cref="EntryFreeList"/>) and which are held (<see cref="EntryHolds"/>). The table keeps them in step: an add
/// takes an entry and indexes its key, a removal unindexes and frees it. Not thread-safe: the store serializes access.
/// </summary>
/// <remarks>
/// Its collaborators are structs held in place in the table's fields, so the replay's hot loop and the store's hit
/// path load their arrays straight from the table's object, as when they were the table's own fields.
/// </remarks>
internal sealed class BlockTable
{
    private BlockIndex _index;
    private EntryFreeList _free;
    private EntryHolds _holds;
    private readonly BlockEntry[] _entries;
    private int _lastAdded = -1; // a request's next block names it as parent: found without a probe
    private long _nextStamp = 1;
    private readonly bool _tracksChildren; // ChildCount kept (some policy reads it); else it stays 0

    public readonly BlockKey[] Keys;
    public readonly BlockKey[] Parents;
    public readonly BlockEntry.ParentEntryColumn ParentEntry; // entry of the parent when it was resident at insert; -1 otherwise
    public readonly BlockEntry.ParentStampColumn ParentStamp; // the parent's stamp then, so a recycled entry is not mistaken for it
    public readonly BlockEntry.StampColumn Stamps;            // incarnation of each entry; 0 = free
    public readonly BlockEntry.ChildCountColumn ChildCount;   // resident children that counted themselves in at insert (if tracked)
    public readonly BlockEntry.DepthColumn Depth;
    public readonly BlockEntry.SessionColumn Session;
    public readonly BlockEntry.NextUseColumn NextUse;
    public readonly BlockEntry.TierColumn Tier;
    public readonly BlockEntry.SlotColumn Slot;
    public readonly BlockEntry.PinsColumn Pins;               // user pins
    public readonly BlockEntry.InFlightColumn InFlight;       // being moved by the store right now
    public readonly BlockEntry.StagingColumn Staging;         // write-behind buffer holding the bytes until the tier's write lands; -1 none
    public readonly BlockEntry.LabelsColumn Labels;           // set by the store after Add

    /// <param name="capacity">The most entries the table holds.</param>
    /// <param name="tracksChildren">Whether to keep <see cref="ChildCount"/> (false when no policy reads it: <see cref="IIgnoresChildren"/>).</param>
    public BlockTable(int capacity, bool tracksChildren = true)
    {
        Capacity = capacity;
        _tracksChildren = tracksChildren;
        Keys = CommittedArray.Allocate<BlockKey>(capacity);
        _index = new BlockIndex(capacity, Keys);
        Parents = CommittedArray.Allocate<BlockKey>(capacity);
        _entries = new BlockEntry[capacity];
        Array.Fill(_entries, new BlockEntry { Tier = -1, Slot = -1, Staging = -1, ParentEntry = -1 });
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
        _free = new EntryFreeList(capacity);
        _holds = new EntryHolds(_entries);
    }

    public int Capacity { get; }

    public int Count => Capacity - _free.Count;

    /// <summary>How many entries were removed so far: an entry found before is still the same while this is unchanged.</summary>
    public long Removals { get; private set; }

    /// <inheritdoc cref="BlockIndex.Find(in BlockKey)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in BlockKey key) => _index.Find(key, out _);

    /// <inheritdoc cref="BlockIndex.Find(in BlockKey, out int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in BlockKey key, out int topSlot) => _index.Find(key, out topSlot);

    /// <inheritdoc cref="TopSlotProbe.FindOptimistic(in BlockKey)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindOptimistic(in BlockKey key) => _index.TopSlots.FindOptimistic(key, out _);

    /// <inheritdoc cref="TopSlotProbe.FindOptimistic(in BlockKey, out int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindOptimistic(in BlockKey key, out int topSlot) => _index.TopSlots.FindOptimistic(key, out topSlot);

    /// <inheritdoc cref="BlockIndex.TopSlots"/>
    public TopSlotProbe TopSlots => _index.TopSlots;

    /// <inheritdoc cref="BlockIndex.Ends"/>
    public ProbeEnds? Ends => _index.Ends;

    /// <inheritdoc cref="BlockIndex.TrackProbeEnds"/>
    public ProbeEnds TrackProbeEnds() => _index.TrackProbeEnds();

    /// <inheritdoc cref="BlockIndex.BucketCount"/>
    public int BucketCount => _index.BucketCount;

    /// <inheritdoc cref="BlockIndex.LastMissBucket"/>
    public int LastMissBucket => _index.LastMissBucket;

    /// <inheritdoc cref="BlockIndex.PrefetchBucketOf"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchBucketOf(int e) => _index.PrefetchBucketOf(e);

    /// <summary>
    /// Entries now pinned or in flight, counted once for each of the two (a replay holds none): while it is zero every
    /// entry is evictable: <see cref="IsEvictable(int)"/> (and <see cref="TierView.IsEvictable"/>) answer and
    /// <see cref="Remove(int)"/> frees without loading the entry's record.
    /// </summary>
    public int HeldCount => _holds.Count;

    /// <summary>Marks entry <paramref name="e"/> as being moved by the store (or no longer), keeping <see cref="HeldCount"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetInFlight(int e, bool value) => _holds.SetInFlight(e, value);

    /// <inheritdoc cref="EntryHolds.AddPin"/>
    public int AddPin(int e) => _holds.AddPin(e);

    /// <inheritdoc cref="EntryHolds.ReleasePin"/>
    public int ReleasePin(int e) => _holds.ReleasePin(e);

    /// <summary>Records where entry <paramref name="e"/> lives (tier -1 and slot -1: nowhere, for now).</summary>
    public void Place(int e, int tier, int slot)
    {
        ref BlockEntry entry = ref _entries[e];
        entry.Tier = (sbyte)tier;
        entry.Slot = slot;
        _index.SetTopSlot(e, tier == 0 ? slot : -1);
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
        int e = _free.Take();
        if (e < 0)
        {
            return -1;
        }

        _index.Insert(key, e, end);
        Keys[e] = key;
        Parents[e] = parent;

        // InFlight false, Staging, Tier and Slot -1: as every free entry is left (constructor, Remove), not written again.
        ref BlockEntry entry = ref _entries[e];
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
            ref BlockEntry parentEntry = ref _entries[p];
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

    /// <summary>
    /// Whether entry <paramref name="e"/> is still the block it was (<paramref name="stamp"/>) in the same tier and slot:
    /// what a read or copy begun outside the lock checks before its result is used.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsAt(int e, long stamp, int tier, int slot) => Stamps[e] == stamp && Tier[e] == tier && Slot[e] == slot;

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
        ref BlockEntry entry = ref _entries[e];
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
        ref BlockEntry entry = ref _entries[e];
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
        return _holds.IsFree(e);
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

        _index.Remove(e);
        Removals++;
        ref BlockEntry entry = ref _entries[e];
        if (_holds.Count != 0)
        {
            _holds.Release(ref entry);
        }

        entry.Stamp = 0;
        entry.InFlight = false;
        entry.Staging = -1;
        entry.Tier = -1;
        entry.Slot = -1;
        _free.Return(e);
    }

    /// <summary>The entry of a new block's parent: usually the block added just before it, else a probe.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int EntryOfParent(in BlockKey parent)
    {
        int last = _lastAdded;
        return last >= 0 && _entries[last].Stamp != 0 && Keys[last].Equals(parent) ? last : Find(parent);
    }
}
