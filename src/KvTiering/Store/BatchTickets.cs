using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The steps of a <see cref="BatchReader"/> block's read that run under the lock: a ticket to read a lower tier's slot
/// outside it (<see cref="TryBegin"/>), and the booking of the read once it ended (<see cref="Finish"/>).
/// </summary>
internal sealed class BatchTickets(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, SlotBinding slots,
    StoreCounters counters, SlotReads reads)
{
    /// <summary><see cref="TryBegin"/>: a ticket; the block needs nothing but a read of its slot.</summary>
    public const int Begun = 0;

    /// <summary><see cref="TryBegin"/>: not in a lower tier, staged, or recomputed: an ordinary lookup answers it.</summary>
    public const int LookUp = 1;

    /// <summary><see cref="TryBegin"/>: its device's window is full (nothing taken); the ticket's tier is the block's.</summary>
    public const int WindowFull = 2;

    /// <summary><see cref="TryBegin"/>: its device reads one block of a batch at a time and one is in flight (nothing taken).</summary>
    public const int TierBusy = 3;

    /// <summary><see cref="Finish"/>: a miss (the block dropped unless its device could not be reached).</summary>
    public const int Missed = -1;

    /// <summary><see cref="Finish"/>: the entry changed while its read failed; look it up where it is now.</summary>
    public const int Again = -2;

    /// <summary>
    /// Under the lock: <see cref="Begun"/> (the slot's read begun, <see cref="SlotReads"/>, a place in its device's window
    /// taken: <paramref name="held"/>'s or a free one) when <paramref name="key"/> lies in a lower tier and needs nothing
    /// but a read of its slot. Nothing is taken, looked up or counted for a block that must wait for room
    /// (<see cref="WindowFull"/>, <see cref="TierBusy"/>: <paramref name="busy"/> says, per tier, this batch's reads in
    /// flight), so its next try is its only one.
    /// </summary>
    public int TryBegin(TieredKvStore store, in BlockKey key, int[] busy, ref DeviceReadWindow? held, out BatchReadState.Ticket ticket)
    {
        ticket = default;
        using (top.EnterWrite())
        {
            store.ThrowIfDisposed();
            int e = table.Find(key);
            if (e < 0 || table.Tier[e] <= 0 || table.Staging[e] >= 0)
            {
                return LookUp;
            }

            Tier tier = tiers[table.Tier[e]];
            int slot = table.Slot[e];
            ticket = new BatchReadState.Ticket(e, tier, slot, table.Stamps[e]);
            if (tier.ReadWindow is null && tier.Device is IAsyncBlockDevice && busy[tier.Index] > 0)
            {
                return TierBusy;
            }

            if (!SlotReads.TryTakePlace(tier, ref held))
            {
                return WindowFull;
            }

            if (!chain.LoadOrRecompute(e, tier))
            {
                tier.ReadWindow?.Exit();
                return LookUp; // recomputed: it left the store, and the ordinary lookup books the miss
            }

            counters.Lookups++;
            reads.Begin(tier, slot);
            return Begun;
        }
    }

    /// <summary>
    /// Under the lock: ends a read; the tier that served it, <see cref="Missed"/> (with the device's cause in
    /// <paramref name="miss"/>), or <see cref="Again"/>.
    /// </summary>
    public int Finish(TieredKvStore store, in BatchReadState.Ticket ticket, int got, out BlockMiss miss)
    {
        miss = BlockMiss.None;
        using (top.EnterWrite())
        {
            store.ThrowIfDisposed();
            Tier tier = ticket.Tier;
            int e = ticket.Entry;
            bool left = SlotBinding.EndSlotIo(tier, ticket.Slot);
            bool same = !left && table.IsAt(e, ticket.Stamp, tier.Index, ticket.Slot);
            if (got < 0)
            {
                if (!same)
                {
                    counters.Lookups--; // looked up again where it is now, and booked there
                    return Again;
                }

                miss = ReadMisses.Of(tier, ticket.Slot); // asked before the drop frees the slot
                slots.DropUnreadable(e, tier, keepUnreachable: true);
                return Missed;
            }

            counters.Hits++;
            counters.Read(tier, got);
            tier.Counters.Hits++;
            if (same)
            {
                tier.Touch(ticket.Slot); // the policy hears of the hit where the block is: it stays there
            }

            return tier.Index;
        }
    }
}
