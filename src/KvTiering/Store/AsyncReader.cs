using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The asynchronous lookup the lock-free path cannot answer: a block in a tier whose device declares
/// <see cref="IAsyncBlockDevice"/> is read by awaiting the device, outside the lock, with its slot kept from being freed
/// or rewritten meanwhile; back under the lock the hit is booked and the block is promoted (copies outside the lock,
/// <see cref="PromotionCopies"/>) only if its entry did not change. A block the table does not index is fetched from a
/// shared tier the same way, awaited outside the lock (<see cref="RemoteProbe.FetchAsync"/>). Every other lookup goes
/// to <see cref="LockedReader"/>.
/// Each device read, here or there, takes a place in its device's window (<see cref="DeviceReadWindow"/>) as a
/// prefetch's or a batch's does: a lookup that finds it full awaits a place holding no slot, reader or lock, and then
/// looks the block up again with it.
/// </summary>
internal sealed class AsyncReader
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly TierChain _chain;
    private readonly StoreCounters _counters;
    private readonly LockedReader _locked;
    private readonly PromotionCopies _promotions;
    private readonly RemoteProbe _remote;

    public AsyncReader(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, StoreCounters counters,
        LockedReader locked, PromotionCopies promotions, RemoteProbe remote)
    {
        _remote = remote;
        _table = table;
        _tiers = tiers;
        _top = top;
        _chain = chain;
        _counters = counters;
        _locked = locked;
        _promotions = promotions;
    }

    /// <summary>A lookup that awaits an asynchronous tier's read; <paramref name="store"/> is checked for disposal under the lock.</summary>
    /// <exception cref="OperationCanceledException">Cancelled while it waited for a place or during the device's read; the block stays where it was.</exception>
    public async ValueTask<BlockRead> TryGetAsync(TieredKvStore store, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int e;
        Tier? tier;
        int slot;
        long stamp;
        DeviceReadWindow? held = null; // the place the last wait took: the next try's, and only its
        bool fetch = false;
        try
        {
            while (true)
            {
                if (TryBegin(store, key, destination.Length, ref held, out DeviceReadWindow? full, out e, out tier, out slot, out stamp))
                {
                    break;
                }

                if (full is null)
                {
                    bool hit = _locked.TryGet(store, key, destination.Span, ref held, out full, out fetch, out int written,
                        out int servedFrom, out BlockMiss miss);
                    if (fetch)
                    {
                        break; // a shared tier's fetch, awaited below holding no other place
                    }

                    if (full is null)
                    {
                        return new BlockRead(hit, written, servedFrom) { Miss = miss };
                    }
                }

                held?.Exit(); // another device's, where the block was before
                held = null;
                await full.EnterAsync(cancellationToken).ConfigureAwait(false); // holding nothing meanwhile
                held = full;
            }
        }
        finally
        {
            held?.Exit(); // waited for, and the block needed no read of that device after all
        }

        if (fetch)
        {
            return await _remote.FetchAsync(store, _chain, key, destination, cancellationToken).ConfigureAwait(false);
        }

        Tier source = tier!; // begun: the block's tier
        int got;
        try
        {
            try
            {
                got = await ((IAsyncBlockDevice)source.Device).ReadAsync(slot, key, destination, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // The reader and the place end with the device's read, before the lock is asked for again: Dispose
                // waits for readers under that lock (SlotReads.Ended says why).
                _top.ExitReader();
                source.ReadWindow?.Exit();
            }
        }
        catch
        {
            using (_top.EnterWrite())
            {
                if (!_top.IsDisposed) // a disposed store's devices are closed: nothing to free
                {
                    SlotBinding.EndSlotIo(source, slot); // the slot is free to move or go again; the block stays
                }

                _counters.Lookups--; // a cancelled or failed lookup is neither a hit nor a miss
            }

            throw;
        }

        bool found;
        int bytesWritten;
        int servedFromTier;
        int promoteTo;
        BlockMiss missed;
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            bool left = SlotBinding.EndSlotIo(source, slot);
            bool same = !left && _table.IsAt(e, stamp, source.Index, slot);
            found = _locked.Finish(e, source, slot, got, destination.Span, same, out bytesWritten, out servedFromTier, out promoteTo,
                out missed);
        }

        if (promoteTo >= 0)
        {
            _promotions.Promote(store, e, stamp, source, slot, promoteTo, destination.Span[..bytesWritten]);
        }

        return new BlockRead(found, bytesWritten, servedFromTier) { Miss = missed };
    }

    /// <summary>
    /// Under the lock: true (slot I/O, a store reader and a place in the device's window taken) when the block lies in
    /// a lower tier whose device can be awaited; false with <paramref name="full"/> set when that device's window has no
    /// place (nothing taken or counted); false otherwise, which sends the caller to the locked path.
    /// </summary>
    private bool TryBegin(TieredKvStore store, in BlockKey key, int destinationLength, ref DeviceReadWindow? held,
        out DeviceReadWindow? full, out int e, out Tier? tier, out int slot, out long stamp)
    {
        tier = null;
        full = null;
        slot = -1;
        stamp = 0;
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            e = _table.Find(key);
            if (e < 0 || _table.Tier[e] <= 0 || _table.Staging[e] >= 0
                || _tiers[_table.Tier[e]].Device is not IAsyncBlockDevice)
            {
                return false;
            }

            tier = _tiers[_table.Tier[e]];
            slot = _table.Slot[e];
            int length = tier.Device.PayloadLength(slot);
            if (destinationLength < length)
            {
                ThrowHelper.ThrowDestinationTooSmall("destination", destinationLength, length);
            }

            if (!SlotReads.TryTakePlace(tier, ref held))
            {
                full = tier.ReadWindow;
                return false;
            }

            if (!_chain.LoadOrRecompute(e, tier))
            {
                tier.ReadWindow?.Exit();
                return false; // recomputed: it left the store, and the locked path books the miss
            }

            _counters.Lookups++;
            SlotBinding.BeginSlotIo(tier, slot);
            stamp = _table.Stamps[e];
            _top.EnterReader(); // Dispose (which needs the lock) waits for the read to end
            return true;
        }
    }
}
