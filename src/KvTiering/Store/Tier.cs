using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>
/// One level of the chain: a device's slots, the slot → entry map, free slots (<see cref="FreeSlotStack"/>), counters,
/// and the policy. The non-generic base is what the store holds; <see cref="Tier{TPolicy}"/> runs the policy as a struct
/// parameter.
/// </summary>
internal abstract class Tier
{
    private FreeSlotStack _free; // in place, never copied

    protected Tier(int index, TierProfile profile, IBlockDevice device, EvictionPolicy policy, bool admitsAll,
        bool ignoresChildren, bool knowsDead, bool knowsDemotions)
    {
        KnowsDead = knowsDead;
        KnowsDemotions = knowsDemotions;
        Index = index;
        Profile = profile;
        Device = device;
        Direct = device as IDirectSlotAccess;
        FailureCauses = device as IReadFailureReporting;
        WriteAvailability = device as IWriteAvailability;
        ReadWindow = device is IConcurrentReads concurrent ? new DeviceReadWindow(concurrent.ReadWindow) : null;
        WriteWindow = device is IConcurrentWrites writes ? new DeviceWriteWindow(writes.WriteWindow) : null;
        DeviceIsInert = !device.StoresPayload;
        AdmitsAll = admitsAll;
        IgnoresChildren = ignoresChildren;
        Policy = policy;
        Capacity = device.SlotCount;
        SlotToEntry = new int[Capacity];
        Array.Fill(SlotToEntry, -1);
        SlotIo = new int[Capacity];
        Orphaned = new bool[Capacity];
        _free = new FreeSlotStack(Capacity);
    }

    public int Index { get; }

    public TierProfile Profile { get; }

    public IBlockDevice Device { get; }

    /// <summary>The device's in-place slot access, when it declares one (moves then copy without a bounce buffer).</summary>
    public IDirectSlotAccess? Direct { get; }

    /// <summary>The device's account of why a read missed, when it declares one (the store then counts the causes apart).</summary>
    public IReadFailureReporting? FailureCauses { get; }

    /// <summary>The device's word on whether it can take a write now, when it declares one (<see cref="TakesWritesNow"/>).</summary>
    public IWriteAvailability? WriteAvailability { get; }

    /// <summary>
    /// Whether a write into this tier may be placed now: false only when its device declares
    /// <see cref="IWriteAvailability"/> and says it cannot take one (a remote server down or backed off). One interface
    /// call for such a device, a null test for the rest; asked where a put or demotion would land, never on a read.
    /// </summary>
    public bool TakesWritesNow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => WriteAvailability is not { CanWriteNow: false };
    }

    /// <summary>The places for reads in flight on the device when it declares <see cref="IConcurrentReads"/> (every read of it the store runs shares them).</summary>
    public DeviceReadWindow? ReadWindow { get; }

    /// <summary>
    /// The places for writes in flight on the device when it declares <see cref="IConcurrentWrites"/> (write-behind, a
    /// prefetch's demotions and shares all take theirs here).
    /// </summary>
    public DeviceWriteWindow? WriteWindow { get; }

    public EvictionPolicy Policy { get; }

    /// <summary>Whether the device keeps no bytes (<see cref="IBlockDevice.StoresPayload"/> false): writes and frees are skipped, not called.</summary>
    public bool DeviceIsInert { get; }

    /// <summary>Whether the policy admits every block without looking at it (<see cref="IAdmitsAll"/>): the store then
    /// skips building the <see cref="BlockInfo"/> and the call.</summary>
    public bool AdmitsAll { get; }

    /// <summary>Whether the policy never reads a block's resident children (<see cref="IIgnoresChildren"/>).</summary>
    public bool IgnoresChildren { get; }

    /// <summary>Whether the policy declares <see cref="IKnowsDeadBlocks"/> (it can be asked <see cref="IsDead"/>).</summary>
    public bool KnowsDead { get; }

    /// <summary>
    /// Whether this tier's victims known dead leave the store rather than move down: the policy
    /// <see cref="KnowsDead"/>, the store's options allow it (<see cref="KvStoreOptions.DropDeadVictims"/>) and a tier
    /// lies below. Set once while the store is built; the one flag an eviction tests for a policy without the capability.
    /// </summary>
    public bool DropsDead;

    /// <summary>Whether the policy declares <see cref="IKnowsDemotions"/> (it can be told <see cref="OnDemotion"/>).</summary>
    public bool KnowsDemotions { get; }

    /// <summary>
    /// Whether a block demoted into this tier is reported to the policy as a demotion (<see cref="OnDemotion"/>), not an
    /// insert: the policy <see cref="KnowsDemotions"/>, the store's options allow it
    /// (<see cref="KvStoreOptions.TellDemotions"/>) and a tier lies above. Set once, before the policy is attached.
    /// </summary>
    public bool TellsDemotions;

    public int Capacity { get; }

    public int Count => Capacity - _free.Count - Reserved - _free.SetAside;

    /// <summary>Slots set aside after a failed write (<see cref="SlotQuarantine"/>): out of use, holding no block.</summary>
    public int SetAsideSlots => _free.SetAside;

    /// <summary>The store's clock, which times how long set-aside slots stay out of use; set before the tier is used.</summary>
    public StoreClock? Clock;

    /// <summary>Free slots: what <see cref="TakeSlot"/> can hand out before a victim must leave.</summary>
    public int FreeSlots => _free.Count;

    /// <summary>Slots no block holds that stay out of use until I/O in flight on them (a write-behind, a read) ends.</summary>
    public int Reserved;

    /// <summary>Per slot, reads the store runs outside its lock right now; such a slot is never freed or rewritten.</summary>
    public readonly int[] SlotIo;

    /// <summary>Per slot, whether its block left while reads were in flight (the last one frees it).</summary>
    public readonly bool[] Orphaned;

    public bool IsFull => _free.Count == 0;

    public int PinnedCount;

    /// <summary>Whether demotions into this tier go through the store's write-behind queue.</summary>
    public bool WriteBehind;

    public readonly int[] SlotToEntry;

    public TierCounters Counters;

    /// <summary>One byte per slot when the policy asked for reference bits (<see cref="TierView.UseReferenceBits"/>): a
    /// hit sets the slot's byte instead of calling the policy, so the lock-free path needs neither queue nor lock.</summary>
    public byte[]? ReferenceBits;

    /// <summary>The modeled cost of the last read and write size (<see cref="StoreCounters"/> books them).</summary>
    public TierCosts Costs = TierCosts.None;

    /// <summary>
    /// Per slot, a version and an owner key that lock-free top-tier hits validate their copy against
    /// (<see cref="TopTierReader"/> sets it for a top tier it reads in place; null otherwise): the version turns odd
    /// before the slot's bytes may change, that is when <see cref="TakeSlot"/> hands the slot out to be written and
    /// when <see cref="FreeSlot"/> frees its bytes, and even again when the slot is bound to its block
    /// (<see cref="SlotBinding.Bind"/>), so a hit retries only when its own slot changed, not whenever any writer ran.
    /// </summary>
    public SlotOwnership? SlotOwners;

    /// <summary>Takes a free slot, or -1 when the tier is full.</summary>
    public int TakeSlot()
    {
        int slot = _free.Take(Clock);
        if (slot >= 0)
        {
            SlotOwners?.BeginChange(slot); // a full fence: the write that follows stays after it
        }

        return slot;
    }

    /// <summary>A write into <paramref name="slot"/> failed: for want of space, the slot is set aside when it is returned (<see cref="SlotQuarantine"/>).</summary>
    public void MarkWriteFailed(int slot, IOException failure) => _free.MarkWriteFailed(slot, failure, Clock);

    /// <summary>Whether set-aside slots are out as probes whose writes have not reported (<see cref="ProbeLanded"/> has work).</summary>
    public bool Probing => _free.Probing;

    /// <summary>A write into <paramref name="slot"/> landed: a probe's says the disk has room (callers check <see cref="Probing"/> first).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void ProbeLanded(int slot) => _free.Landed(slot, Clock);

    /// <summary>Frees the device's bytes in <paramref name="slot"/>; every free of a slot's bytes goes through here (see <see cref="SlotOwners"/>).</summary>
    public void FreeSlot(int slot)
    {
        SlotOwners?.BeginChange(slot);

        Device.Free(slot);
    }

    /// <summary>Marks the given slots taken and every other slot free (recovery of a persistent device).</summary>
    public void ClaimSlots(bool[] used) => _free.Claim(used);

    /// <summary>Gives back a slot no block holds any more (<see cref="FreeSlotStack.Return"/>).</summary>
    public void ReturnSlot(int slot)
    {
        SlotToEntry[slot] = -1;
        _free.Return(slot);
    }

    public abstract void Attach(TierView view);

    public abstract bool Admit(in BlockInfo block);

    public abstract void OnInsert(int slot);

    /// <summary>A block demoted from a tier above entered <paramref name="slot"/>: the policy is told so when it asked to be.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnDemotedInsert(int slot)
    {
        if (TellsDemotions)
        {
            OnDemotion(slot);
        }
        else
        {
            OnInsert(slot);
        }
    }

    /// <summary>The policy's <see cref="IKnowsDemotions.OnDemotion"/>; only called when <see cref="TellsDemotions"/>.</summary>
    public abstract void OnDemotion(int slot);

    public abstract void OnAccess(int slot);

    /// <summary>Tells the policy of a hit: its reference bit when it keeps them, <see cref="OnAccess"/> otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Touch(int slot)
    {
        if (ReferenceBits is { } bits)
        {
            bits[slot] = 1;
        }
        else
        {
            OnAccess(slot);
        }
    }

    /// <summary>Accesses queued by the lock-free read path, oldest first; one call so the policy's loop inlines.</summary>
    public abstract void OnAccessMany(ReadOnlySpan<int> slots);

    public abstract void OnRemove(int slot);

    public abstract int SelectVictim();

    /// <summary>The entry of the policy's next victim, or -1 when it names none.</summary>
    /// <exception cref="InvalidOperationException">The policy named a slot that holds no evictable block.</exception>
    public int VictimEntry(BlockTable table)
    {
        int victim = SelectVictim();
        if (victim < 0)
        {
            return -1;
        }

        int e = (uint)victim < (uint)Capacity ? SlotToEntry[victim] : -1;
        if (e < 0 || !table.IsEvictable(e))
        {
            ThrowBadVictim(victim);
        }

        return e;
    }

    /// <summary>Whether the policy knows the block in <paramref name="slot"/>, its victim, is dead; false unless <see cref="KnowsDead"/>.</summary>
    public abstract bool IsDead(int slot);

    public abstract void OnSessionHint(long session, SessionHint hint);

    /// <summary>The policy as <see cref="IKnowsRequestsAbove"/> (boxed once at attach), or null when it does not declare it.</summary>
    public abstract IKnowsRequestsAbove? RequestListener { get; }

    /// <summary>
    /// For a tier whose victims leave the store with nothing to tell or move (metadata only, no tier below, no event
    /// sink, no placement hooks, no I/O on any slot): places the new entry <paramref name="e"/> in a free slot or, when
    /// the tier is full, in the slot of the policy's victim, evicted here, and tells the policy of the insert. One
    /// call for all a replay's miss does to its tier, with the policy's calls direct; the same steps in the same
    /// order as <see cref="BlockMover"/>'s MakeRoom → Evict → Unbind → Release → Remove, then TakeSlot, Place and
    /// OnInsert. Returns the slot, or -1 when the tier is full and the policy names no victim (nothing changed then).
    /// </summary>
    /// <exception cref="InvalidOperationException">The policy named a slot that holds no evictable block.</exception>
    public abstract int InsertOutright(BlockTable table, int e);

    /// <summary>
    /// A request's blocks offered in order to a tier as <see cref="InsertOutright"/> allows (a replay's one
    /// metadata-only tier, nothing observing): each block found at arrival and still resident is a hit, each other a
    /// miss added and inserted. One call per request, so every policy call in the loop is direct.
    /// </summary>
    /// <param name="request">The table, chain, mover, counters, removals at the lookup, and the request's session and labels.</param>
    /// <param name="keys">The request's blocks, in order.</param>
    /// <param name="found">Per key, its entry at arrival, -1, or <see cref="RequestOffer.Unique"/> (absent and not repeated before it).</param>
    /// <param name="slots">Per key found, its slot at arrival; per key absent, the empty bucket its probe ended at.</param>
    /// <param name="nextUse">Per key, its next use (the oracle's), or empty.</param>
    public abstract void OfferOutright(in OutrightRequest request, ReadOnlySpan<BlockKey> keys, ReadOnlySpan<int> found,
        ReadOnlySpan<int> slots, ReadOnlySpan<int> nextUse);

    [MethodImpl(MethodImplOptions.NoInlining)]
    protected void ThrowBadVictim(int victim) =>
        ThrowHelper.ThrowInvalidOperation(
            $"Policy '{Policy.Name}' of tier {Index} chose victim {victim}, which is not an evictable resident handle.");
}
