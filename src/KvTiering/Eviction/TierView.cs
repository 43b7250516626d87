using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.Eviction;

/// <summary>
/// A policy's read-only window onto its tier: per-handle facts about each resident block. Handles are the tier's
/// slot numbers; a handle is valid between the policy's OnInsert and OnRemove for it.
/// </summary>
public sealed class TierView
{
    private readonly BlockTable _table;
    private readonly Tier _tier;
    private readonly ITierHost _store;
    private readonly int[] _slotToEntry; // the tier's own map, held here so a policy's per-handle reads skip a load
    private byte[]? _referenceBits;      // the tier's, once UseReferenceBits made them (held here for the same reason)

    internal TierView(ITierHost store, BlockTable table, Tier tier)
    {
        _store = store;
        _table = table;
        _tier = tier;
        _slotToEntry = tier.SlotToEntry;
    }

    /// <summary>Position of this tier in the chain (0 = top).</summary>
    public int TierIndex => _tier.Index;

    /// <summary>Number of tiers in the chain.</summary>
    public int TierCount => _store.TierCount;

    /// <summary>Capacity in blocks; handles range over 0 to Capacity − 1.</summary>
    public int Capacity => _tier.Capacity;

    /// <summary>Blocks resident in this tier now.</summary>
    public int Count => _tier.Count;

    /// <summary>
    /// Whether a block demoted into this tier from a tier above reaches the policy through
    /// <see cref="IKnowsDemotions.OnDemotion"/> (the policy declares it and <see cref="KvStoreOptions.TellDemotions"/>
    /// is on) rather than <see cref="IEvictionPolicy.OnInsert"/>; fixed before <see cref="IEvictionPolicy.Attach"/>.
    /// </summary>
    public bool TellsDemotions => _tier.TellsDemotions;

    /// <summary>The store's clock in seconds, from its <see cref="TimeProvider"/> (the harness drives a replay clock through it).</summary>
    public double Now => _store.NowSeconds;

    /// <summary>While a session hint is delivered: the length in tokens of the response it follows; −1 when not told.</summary>
    internal int HintResponseTokens => _store.HintResponseTokens;

    /// <summary>The block's key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BlockKey Key(int handle) => _table.Keys[_slotToEntry[handle]];

    /// <summary>The block's parent key (<see cref="BlockKey.Empty"/> for a first block).</summary>
    public BlockKey ParentKey(int handle) => _table.Parents[_slotToEntry[handle]];

    /// <summary>The parent's handle in this tier, or -1 when the parent is in another tier or not resident.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Parent(int handle)
    {
        int p = ParentEntry(_slotToEntry[handle]);
        return p >= 0 && _table.Tier[p] == _tier.Index ? _table.Slot[p] : -1;
    }

    /// <summary>Whether the parent is resident in any tier (a first block's parent counts as resident).</summary>
    public bool IsParentResident(int handle)
    {
        int e = _slotToEntry[handle];
        return _table.Parents[e].IsEmpty || ParentEntry(e) >= 0;
    }

    /// <summary>The tier the parent is resident in, or -1.</summary>
    public int ParentTier(int handle)
    {
        int p = ParentEntry(_slotToEntry[handle]);
        return p >= 0 ? _table.Tier[p] : -1;
    }

    /// <summary>Resident children of the block (in any tier).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ResidentChildren(int handle) => _table.ChildCount[_slotToEntry[handle]];

    /// <summary>Position of the block in its sequence (0 = first block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Depth(int handle) => _table.Depth[_slotToEntry[handle]];

    /// <summary>The owning session (0 when unknown).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Session(int handle) => _table.Session[_slotToEntry[handle]];

    /// <summary>Oracle next-use time (replay only), else <see cref="long.MaxValue"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long NextUse(int handle) => _table.NextUse[_slotToEntry[handle]];

    /// <summary>Payload bytes of the block (0 in metadata-only mode).</summary>
    public int Size(int handle) => _tier.Device.PayloadLength(handle);

    /// <summary>Whether the block may be evicted or moved now (it is not pinned or in flight).</summary>
    /// <remarks>
    /// While nothing in the store is pinned or in flight (always, in a replay) it answers without loading the block's
    /// record: a CLOCK scan that passes several referenced blocks per miss then reads only their bits.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsEvictable(int handle) => _table.HeldCount == 0 || _table.IsEvictable(_slotToEntry[handle]);

    /// <summary>
    /// Switches the tier to reference bits; call it from <see cref="IEvictionPolicy.Attach"/>. From then on a hit on a
    /// block in this tier sets the block's reference bit (<see cref="IsReferenced"/>) instead of calling
    /// <see cref="IEvictionPolicy.OnAccess"/>, and in a memory top tier it is served without the store's lock and
    /// without queueing anything. A block enters the tier with its bit clear; the policy clears it when it likes.
    /// </summary>
    /// <remarks>
    /// This is the hardware "accessed" bit that CLOCK reads (Corbató, "A Paging Experiment with the Multics System",
    /// 1968): for a policy that only needs "used since I last looked", it makes a hit a one-byte store. A lock-free
    /// hit that races the block's eviction may set the bit of the slot's next block; that costs one second chance.
    /// </remarks>
    public void UseReferenceBits() => _referenceBits = _tier.ReferenceBits ??= new byte[_tier.Capacity];

    /// <summary>Whether the block was hit since its bit was last cleared (false for a tier without reference bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsReferenced(int handle) => _referenceBits is { } bits && bits[handle] != 0;

    /// <summary>Clears the block's reference bit (no effect for a tier without reference bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ClearReferenced(int handle)
    {
        if (_referenceBits is { } bits)
        {
            bits[handle] = 0;
        }
    }

    /// <summary>The handle last given to <see cref="PrefetchVictim"/>, or -1: where the policy expects its next victim.</summary>
    internal int LikelyVictim { get; private set; } = -1;

    /// <summary>
    /// Asks the processor to start loading what a victim scan reaching <paramref name="handle"/> reads first (its
    /// reference bit and its slot's entry), so the next eviction need not wait for those lines. A hint only: no effect
    /// on any outcome, and nothing on processors without a prefetch instruction.
    /// </summary>
    /// <remarks>
    /// A CLOCK victim is usually the block the scan reaches next, known one miss ahead; its bit and slot map entry
    /// are two cold lines that each eviction otherwise waits on in turn (docs/harness.md "Speed", session speed14).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe void PrefetchVictim(int handle)
    {
        LikelyVictim = handle;
        if (Sse.IsSupported && (uint)handle < (uint)_slotToEntry.Length)
        {
            // A prefetch never faults and changes no value, so an address the collector may move right after is harmless.
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slotToEntry), handle)));
            if (_referenceBits is { } bits && (uint)handle < (uint)bits.Length)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(bits), handle)));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ParentEntry(int e)
    {
        int p = _table.LiveParent(e);
        return p >= 0 ? p : ParentByKey(e);
    }

    /// <summary>The parent's entry found by its key: it arrived after the child, or was re-admitted (rare, so out of line).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ParentByKey(int e) => _table.Parents[e].IsEmpty ? -1 : _table.Find(_table.Parents[e]);
}
