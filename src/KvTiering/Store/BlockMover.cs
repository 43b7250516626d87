using System.Runtime.CompilerServices;

namespace KvTiering.Store;

/// <summary>
/// Moves blocks between tiers: makes room in a tier by evicting its policy's victims (where each goes is
/// <see cref="VictimEviction"/>'s to decide: one tier down, or further, or out) and promotes a block
/// (<see cref="LockedPromotion"/>); the bytes are read and written by <see cref="BlockIo"/>, the only writer of block
/// bytes into tiers under the lock. Call under the store's lock.
/// </summary>
/// <remarks>
/// Byte copies run outside the seqlock's odd window (<see cref="TopTierReader.Pause"/>): a move writes the lower copy
/// before the source lets go, so lock-free readers keep reading the source meanwhile and a failed write leaves the
/// block where it was. Demotions into a tier with write-behind are handed to <see cref="WriteBehind"/> instead of a
/// device write under the lock.
/// </remarks>
internal sealed class BlockMover
{
    /// <summary>
    /// <see cref="MakeRoom(Tier, bool, bool)"/>'s answer when the room waits on a write-behind write in flight: the
    /// tier's victim (or the victim of the tier below it) is still being written, so evicting it would free no slot
    /// and lose a block. Nothing was evicted; a put waits for the worker's next booking and asks again.
    /// </summary>
    public const int InFlight = -2;

    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly WriteBehind _writeBehind;
    private readonly DemotionCopies _demotions;
    private readonly bool _metadataOnly;
    private readonly BlockIo _io;
    private readonly LockedPromotion _promotion;
    private readonly VictimEviction _eviction;

    public BlockMover(BlockTable table, Tier[] tiers, TopTierReader top, SlotBinding slots, StoreCounters counters,
        IPlacementHooks placement, TierPassOver passOver, WriteBehind writeBehind, StoreLog log, bool metadataOnly, int blockBytes)
    {
        _table = table;
        _tiers = tiers;
        _writeBehind = writeBehind;
        _demotions = new DemotionCopies(table, slots, counters, placement, log, writeBehind);
        _metadataOnly = metadataOnly;
        _io = new BlockIo(table, top, slots, counters, placement, writeBehind, log, metadataOnly, blockBytes);
        var victimMove = new VictimMove(table, slots, placement, writeBehind, _demotions, _io, metadataOnly);
        _eviction = new VictimEviction(this, table, tiers, slots, placement, passOver, writeBehind, victimMove, _io);
        _promotion = new LockedPromotion(this, table, tiers, top, slots, counters, placement, passOver, writeBehind, log, metadataOnly);
    }

    /// <summary>A free slot in <paramref name="tier"/>, evicting (demoting) its policy's victim if needed; -1 if none can go.</summary>
    /// <param name="tier">The tier to make room in.</param>
    /// <param name="freeVictimSlot">
    /// False when the caller rewrites the slot anyway (a write-behind demotion): the victim's slot is then not freed on
    /// the device, which saves a slow tier an I/O under the lock; until the new write lands the old block stays
    /// verifiable there, which a restart may recover, as a freed-but-unzeroed slot could be anyway.
    /// </param>
    /// <param name="waitForWrites">
    /// True (the default): a victim whose write-behind write is in flight is not evicted (<see cref="InFlight"/>);
    /// false: it is, as before direct28 (its slot stays reserved until the write ends, so the next victim goes too).
    /// </param>
    public int MakeRoom(Tier tier, bool freeVictimSlot = true, bool waitForWrites = true)
    {
        DeferredDemotion none = default;
        return MakeRoom(tier, freeVictimSlot, defer: false, waitForWrites, ref none);
    }

    /// <summary>
    /// A free slot in <paramref name="tier"/>, or -1. When the victim can move down with its byte copy outside the lock
    /// (its bytes in place; into a lower tier's slot, or a write-behind staging buffer), its move is recorded in <paramref name="deferred"/>
    /// instead and -1 returns: the caller copies (<see cref="CopyDemotion"/>), completes the move under the lock
    /// (<see cref="CompleteDemotion"/>), which frees the victim's slot, and asks again.
    /// </summary>
    public int MakeRoom(Tier tier, ref DeferredDemotion deferred, bool waitForWrites = true) =>
        MakeRoom(tier, freeVictimSlot: true, defer: true, waitForWrites, ref deferred);

    private int MakeRoom(Tier tier, bool freeVictimSlot, bool defer, bool waitForWrites, ref DeferredDemotion deferred)
    {
        // A write-behind tier frees a leaving victim's slot behind the lock (reserved until the worker's free lands),
        // so the victim would make no room now: four of them left the store and the put was declined. The caller
        // writes the slot it takes anyway, so the free is skipped, as for a write-behind demotion's victim.
        freeVictimSlot &= !tier.WriteBehind;
        int slot = tier.TakeSlot();
        if (slot >= 0)
        {
            if (defer)
            {
                HoldAhead(tier);
            }

            return slot;
        }

        // A victim whose write-behind is still in flight frees no slot yet (it stays reserved), so it is not evicted:
        // the caller waits for the write instead (a put) or finds no room (direct28; it used to leave the store, and
        // so did the next victims, up to four). A victim a read holds frees none either: try the next one. A put's
        // first victim may be held for the worker (no copy, its slot freed when the write lands, for a later put);
        // the next one frees a slot now, through a copy.
        waitForWrites &= !_writeBehind.Synchronous; // a flush demotes as before
        for (int tries = 0; tries < 4 && slot < 0; tries++)
        {
            int e = tier.VictimEntry(_table);
            if (e < 0)
            {
                return -1;
            }

            if (waitForWrites && _table.Staging[e] >= 0)
            {
                return InFlight;
            }

            switch (_eviction.Evict(e, tier, freeVictimSlot, defer, hold: defer && tries == 0, dropDead: true, waitForWrites, ref deferred))
            {
                case EvictOutcome.Deferred:
                    return -1;
                case EvictOutcome.Blocked:
                    return InFlight;
            }

            slot = tier.TakeSlot();
        }

        return slot;
    }

    /// <summary>
    /// After a put took <paramref name="tier"/>'s last free slot: demotes the policy's next victim now, held for the
    /// write-behind worker (<see cref="WriteBehind.Hold"/>, no copy), so that its slot is free again, for the next put,
    /// once the write lands. Only when the tier below admits every block and a job slot is free, so the demotion is a
    /// hold and never costs the put a copy; the victim leaves one put earlier than it would have.
    /// </summary>
    private void HoldAhead(Tier tier)
    {
        if (tier.FreeSlots != 0 || tier.Index + 1 >= _tiers.Length || _metadataOnly)
        {
            return;
        }

        Tier to = _tiers[tier.Index + 1];
        if (!to.AdmitsAll || !to.TakesWritesNow || !_writeBehind.CanHold(tier, to))
        {
            return;
        }

        int e = tier.VictimEntry(_table);
        if (e >= 0)
        {
            DeferredDemotion none = default;
            _eviction.Evict(e, tier, freeSlot: true, defer: false, hold: true, dropDead: true, waitForWrites: true, ref none);
        }
    }

    /// <summary>
    /// Moves a victim one tier down (or further, if a lower tier declines), or drops it from the store; a victim its
    /// policy knows dead moves down too (<see cref="TieredKvStore.Flush"/>'s call: a flush keeps every block it can).
    /// </summary>
    public void Evict(int e, Tier from, bool freeSlot = true)
    {
        DeferredDemotion none = default;
        _eviction.Evict(e, from, freeSlot, defer: false, hold: false, dropDead: false, waitForWrites: true, ref none);
    }

    /// <summary>
    /// Moves a block up to <paramref name="targetIndex"/> under the lock (<see cref="LockedPromotion"/>); it stays where
    /// it is if no room can be made.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Promote(int e, Tier from, int targetIndex, ReadOnlySpan<byte> bytesInHand, bool readBooked) =>
        _promotion.Promote(e, from, targetIndex, bytesInHand, readBooked);

    /// <inheritdoc cref="BlockIo.WriteInto"/>
    public bool WriteInto(int e, Tier tier, int slot, ReadOnlySpan<byte> bytes, bool bind = true) =>
        _io.WriteInto(e, tier, slot, bytes, bind);

    /// <summary>Unbinds a block promoted out of <paramref name="from"/>, its slot freed behind when it can be (<see cref="WriteBehind.UnbindMoved"/>).</summary>
    public void UnbindMoved(int e, Tier from) => _writeBehind.UnbindMoved(e, from);

    /// <summary>Frees a slot no entry maps (an abandoned move's), behind the lock when its tier writes behind.</summary>
    public void FreeUnmapped(Tier tier, int slot)
    {
        if (!_writeBehind.TryFreeBehind(tier, slot))
        {
            tier.FreeSlot(slot);
            tier.ReturnSlot(slot);
        }
    }

    /// <summary>
    /// For a prefetch that moves several blocks up into <paramref name="tier"/> (<see cref="DemotionWindow"/>): begins
    /// moving the tier's policy victim one tier down with its copy outside the lock, as the next promotion's
    /// <see cref="MakeRoom(Tier, ref DeferredDemotion, bool)"/> would; true when the move was deferred into
    /// <paramref name="move"/>. False when the tier has no victim, or the victim left or moved under the lock (its slot
    /// is free then). Call under the lock.
    /// </summary>
    public bool DemoteAhead(Tier tier, ref DeferredDemotion move)
    {
        int e = tier.VictimEntry(_table);
        return e >= 0 && _eviction.Evict(e, tier, freeSlot: true, defer: true, hold: false, dropDead: true, waitForWrites: true, ref move) == EvictOutcome.Deferred;
    }

    /// <inheritdoc cref="DemotionCopies.Discard"/>
    public void DiscardDemotion(ref DeferredDemotion move) => _demotions.Discard(ref move);

    /// <summary>Copies a deferred victim's bytes (see <see cref="DemotionCopies"/>). Call without the lock.</summary>
    public void CopyDemotion(ref DeferredDemotion move) => _demotions.Copy(ref move);

    /// <summary>Completes a victim's move whose copy ran outside the lock (see <see cref="DemotionCopies"/>). Call under the lock.</summary>
    public void CompleteDemotion(ref DeferredDemotion move) => _demotions.Complete(ref move);

    /// <inheritdoc cref="BlockIo.WriteFailed"/>
    public void WriteFailed(int e, Tier tier, int slot, IOException ex) => _io.WriteFailed(e, tier, slot, ex);

    /// <inheritdoc cref="BlockIo.TryReadForMove"/>
    public bool TryReadForMove(int e, Tier from, out ReadOnlySpan<byte> bytes) => _io.TryReadForMove(e, from, out bytes);

    /// <inheritdoc cref="BlockIo.PayloadLength"/>
    public int PayloadLength(int e, Tier tier) => _io.PayloadLength(e, tier);
}
