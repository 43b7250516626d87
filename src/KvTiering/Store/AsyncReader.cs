using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The asynchronous lookup the lock-free path cannot answer: a block in a tier whose device declares
/// <see cref="IAsyncBlockDevice"/> is read by awaiting the device, outside the lock, with its slot kept from being freed
/// or rewritten meanwhile; back under the lock the hit is booked and the block is promoted (copies outside the lock,
/// <see cref="PromotionCopies"/>) only if its entry did not change. Every other lookup goes to <see cref="LockedReader"/>.
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

    public AsyncReader(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, StoreCounters counters,
        LockedReader locked, PromotionCopies promotions)
    {
        _table = table;
        _tiers = tiers;
        _top = top;
        _chain = chain;
        _counters = counters;
        _locked = locked;
        _promotions = promotions;
    }

    /// <summary>A lookup that awaits an asynchronous tier's read; <paramref name="store"/> is checked for disposal under the lock.</summary>
    /// <exception cref="OperationCanceledException">Cancelled during the device's read; the block stays where it was.</exception>
    public async ValueTask<BlockRead> TryGetAsync(TieredKvStore store, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (!TryBegin(store, key, destination.Length, out int e, out Tier? tier, out int slot, out long stamp))
        {
            bool hit = _locked.TryGet(store, key, destination.Span, out int written, out int servedFrom);
            return new BlockRead(hit, written, servedFrom);
        }

        int got;
        try
        {
            got = await ((IAsyncBlockDevice)tier!.Device).ReadAsync(slot, key, destination, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _top.ExitReader();
            using (_top.EnterWrite())
            {
                SlotBinding.EndSlotIo(tier!, slot); // the slot is free to move or go again; the block stays
                _counters.Lookups--;                // a cancelled or failed lookup is neither a hit nor a miss
            }

            throw;
        }

        _top.ExitReader();
        bool found;
        int bytesWritten;
        int servedFromTier;
        int promoteTo;
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            bool left = SlotBinding.EndSlotIo(tier, slot);
            bool same = !left && _table.IsAt(e, stamp, tier.Index, slot);
            found = _locked.Finish(e, tier, got, destination.Span, same, out bytesWritten, out servedFromTier, out promoteTo);
        }

        if (promoteTo >= 0)
        {
            _promotions.Promote(store, e, stamp, tier, slot, promoteTo, destination.Span[..bytesWritten]);
        }

        return new BlockRead(found, bytesWritten, servedFromTier);
    }

    /// <summary>
    /// Under the lock: true (slot I/O and a store reader announced) when the block lies in a lower tier whose device
    /// can be awaited; false sends the caller to the locked path, which answers everything else.
    /// </summary>
    private bool TryBegin(TieredKvStore store, in BlockKey key, int destinationLength, out int e, out Tier? tier, out int slot, out long stamp)
    {
        tier = null;
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

            if (!_chain.LoadOrRecompute(e, tier))
            {
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
