using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Diagnostics;
using KvTiering.Placement;
using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>
/// The one place where a block table entry and a tier slot are tied together or let go: bind, unbind, release,
/// drop. Every arrival and departure is reported to the <see cref="IBlockEventSink"/> here, and a slot with I/O in
/// flight outside the lock (a write-behind, a slow-tier read) is kept out of use until that I/O ends, as the device
/// contract requires (no <c>Free</c> or rewrite during I/O on a slot). Call under the store's lock.
/// </summary>
internal sealed class SlotBinding
{
    private readonly BlockTable _table;
    private readonly IPlacementHooks _placement;
    private readonly StoreLog _log;
    private IBlockEventSink _events;

    public SlotBinding(BlockTable table, IPlacementHooks placement, IBlockEventSink events, StoreLog log)
    {
        _table = table;
        _placement = placement;
        _events = events;
        _log = log;
    }

    /// <summary>
    /// Frees an unmapped slot of a write-behind tier on its device behind the lock, the slot reserved until then, and
    /// returns true (<see cref="WriteBehind.TryFreeBehind"/>, set by it); false: the caller frees it at once.
    /// </summary>
    public Func<Tier, int, bool>? FreeBehind { get; set; }

    /// <summary>Where arrivals and departures are reported; null restores the null object.</summary>
    public IBlockEventSink Events
    {
        get => _events;
        set => _events = value ?? NullBlockEventSink.Instance;
    }

    /// <summary>
    /// Whether a report could reach anyone now: false for the null object and for the store's feed while it has no
    /// subscriber (whose reports then do nothing), so a caller may skip them.
    /// </summary>
    public bool ReportsEvents => _events is not NullBlockEventSink && (_events is not FeedEventSink feed || feed.HasSubscribers);

    /// <summary>Maps entry <paramref name="e"/> to <paramref name="slot"/> of <paramref name="tier"/> and reports the arrival.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Bind(int e, Tier tier, int slot)
    {
        _table.Place(e, tier.Index, slot);
        tier.SlotToEntry[slot] = e;
        tier.SlotOwners?.Publish(slot, _table.Keys[e]); // the slot's bytes are complete: lock-free hits may take them
        if (tier.Probing && _table.Staging[e] < 0)
        {
            tier.ProbeLanded(slot); // a write-behind's write has not landed yet: its worker reports it
        }
        if (_events is not NullBlockEventSink)
        {
            _events.OnStored(_table.Keys[e], _table.Parents[e], tier.Index);
        }
    }

    /// <summary>Reports the departure of entry <paramref name="e"/> from <paramref name="tier"/> and releases its slot.</summary>
    /// <param name="e">The entry.</param>
    /// <param name="tier">The tier that holds it.</param>
    /// <param name="freeSlot">False when the slot is rewritten next anyway (see <see cref="BlockMover.MakeRoom(Tier, bool, bool)"/>).</param>
    public void Unbind(int e, Tier tier, bool freeSlot = true)
    {
        if (_events is not NullBlockEventSink)
        {
            _events.OnRemoved(_table.Keys[e], tier.Index);
        }

        Release(e, tier, freeSlot);
    }

    /// <summary>
    /// Reports the departure of entry <paramref name="e"/> from <paramref name="tier"/> and keeps its slot reserved
    /// (out of use, not freed) for the caller to free outside the lock; the slot must have no write-behind or read in
    /// flight (<see cref="CanReserve"/>).
    /// </summary>
    public void UnbindReserved(int e, Tier tier)
    {
        if (_events is not NullBlockEventSink)
        {
            _events.OnRemoved(_table.Keys[e], tier.Index);
        }

        int slot = _table.Slot[e];
        tier.OnRemove(slot);
        tier.SlotToEntry[slot] = -1;
        tier.Reserved++;
        _table.Place(e, -1, -1);
    }

    /// <summary>Whether entry <paramref name="e"/>'s slot in <paramref name="tier"/> has no I/O in flight, so <see cref="UnbindReserved"/> may keep it.</summary>
    public bool CanReserve(int e, Tier tier) => _table.Staging[e] < 0 && tier.SlotIo[_table.Slot[e]] == 0;

    /// <summary>Unbinds entry <paramref name="e"/> and removes it from the table, returning its pin to the tier's budget.</summary>
    public void Drop(int e, Tier tier)
    {
        if (_table.Pins[e] > 0)
        {
            tier.PinnedCount--;
        }

        Unbind(e, tier);
        _table.Remove(e);
    }

    /// <summary>
    /// Lets go of a block's slot, telling nobody (<see cref="Unbind"/> and <see cref="ReleaseAll"/> report it). A slot
    /// whose write-behind is still in flight stays out of use until the worker ends it; a slot being read outside the
    /// lock, until the last read ends (<see cref="EndSlotIo"/>).
    /// </summary>
    public void Release(int e, Tier tier, bool freeSlot = true)
    {
        int slot = _table.Slot[e];
        tier.OnRemove(slot);
        if (_table.Staging[e] >= 0)
        {
            // The block leaves (or moves up) while its write is in flight; the worker frees the slot when it ends.
            tier.SlotToEntry[slot] = -1;
            tier.Reserved++;
            _table.Staging[e] = -1;
        }
        else if (tier.SlotIo[slot] > 0)
        {
            // Reads of it are in flight outside the lock; the last of them frees the slot.
            tier.SlotToEntry[slot] = -1;
            tier.Reserved++;
            tier.Orphaned[slot] = true;
        }
        else if (!freeSlot || tier.DeviceIsInert || !tier.WriteBehind || FreeBehind?.Invoke(tier, slot) != true)
        {
            if (freeSlot && !tier.DeviceIsInert)
            {
                tier.FreeSlot(slot);
            }

            tier.ReturnSlot(slot);
        }

        _table.Place(e, -1, -1);
    }

    /// <summary>Announces a read of <paramref name="slot"/> outside the lock: the slot is neither freed nor rewritten until it ends.</summary>
    public static void BeginSlotIo(Tier tier, int slot) => tier.SlotIo[slot]++;

    /// <summary>Ends a read outside the lock; true when the slot's block left meanwhile (the last read frees the slot).</summary>
    public static bool EndSlotIo(Tier tier, int slot)
    {
        if (--tier.SlotIo[slot] == 0 && tier.Orphaned[slot])
        {
            tier.Orphaned[slot] = false;
            FreeReserved(tier, slot);
            return true;
        }

        return tier.Orphaned[slot];
    }

    /// <summary>Frees a reserved slot once the I/O that kept it out of use has ended.</summary>
    public static void FreeReserved(Tier tier, int slot)
    {
        tier.Reserved--;
        tier.FreeSlot(slot);
        tier.ReturnSlot(slot);
    }

    /// <summary>
    /// Drops a block its device could not read back, counted and logged by the cause the device gives
    /// (<see cref="IReadFailureReporting"/>; none: a checksum failure). Call while the slot is still the block's.
    /// With <paramref name="keepUnreachable"/>, a block whose device could not be reached stays where it is instead.
    /// </summary>
    /// <remarks>
    /// Lookups and prefetches keep an unreachable block: a remote server that timed out under load, or that the device
    /// is backing off from, most likely still holds it, and dropping it lost it for good (faults25's soak: 125,701
    /// unreachable reads in 190 s, 87% of them with the server running). Its next read tries again, and a server that
    /// came back empty answers "lost", which drops it then. A move (demotion, locked promotion) drops it still: it has
    /// taken a slot below and cannot wait for the device.
    /// </remarks>
    /// <returns>Whether the block left the store.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool DropUnreadable(int e, Tier tier, bool keepUnreachable = false)
    {
        ReadFailure cause = tier.FailureCauses?.LastReadFailure(_table.Slot[e]) ?? ReadFailure.Unknown;
        PlacementReason reason;
        switch (cause)
        {
            case ReadFailure.Lost:
                tier.Counters.LostBlocks++;
                reason = PlacementReason.BlockLost;
                break;
            case ReadFailure.Unreachable:
                tier.Counters.UnreachableReads++;
                reason = PlacementReason.DeviceUnreachable;
                break;
            default:
                tier.Counters.ChecksumFailures++;
                reason = PlacementReason.ChecksumFailure;
                break;
        }

        _log.ReadFailures.ReadFailed(tier.Index, tier.Profile.Name, _table.Keys[e], cause);
        if (keepUnreachable && cause == ReadFailure.Unreachable)
        {
            _placement.Note(PlacementAction.Unreachable, reason, e, -1, tier.Index);
            return false;
        }

        _placement.Note(PlacementAction.Drop, reason, e, tier.Index, -1);
        Drop(e, tier);
        return true;
    }

    /// <summary>Removes every block from every tier, reporting one clear instead of a removal per block.</summary>
    public void ReleaseAll(Tier[] tiers)
    {
        foreach (Tier tier in tiers)
        {
            for (int slot = 0; slot < tier.Capacity; slot++)
            {
                int e = tier.SlotToEntry[slot];
                if (e >= 0 && _table.Stamps[e] != 0 && _table.Tier[e] == tier.Index && _table.Slot[e] == slot)
                {
                    Release(e, tier);
                    _table.Remove(e);
                }
            }

            tier.PinnedCount = 0;
        }

        _events.OnCleared();
    }

    /// <summary>Every resident block with its tier, tier by tier, each in slot order (parents not necessarily first).</summary>
    public IEnumerable<(BlockKey Key, BlockKey Parent, int Tier, TierKind Medium)> Resident(Tier[] tiers)
    {
        // Subscribers must not rely on parents before children: vLLM's own events make no such promise across
        // requests either.
        foreach (Tier tier in tiers)
        {
            for (int slot = 0; slot < tier.Capacity; slot++)
            {
                int e = tier.SlotToEntry[slot];
                if (e >= 0 && _table.Tier[e] == tier.Index && _table.Slot[e] == slot)
                {
                    yield return (_table.Keys[e], _table.Parents[e], tier.Index, tier.Profile.Kind);
                }
            }
        }
    }
}
