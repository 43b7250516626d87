using System.Buffers;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// <see cref="TieredKvStore.PrefetchAsync"/>: brings a queued request's lower-tier blocks up before it runs. In a store
/// that keeps payloads each block is read outside the lock (its slot kept from being freed or rewritten; a device that
/// declares <see cref="IAsyncBlockDevice"/> is awaited, and cancellation reaches its read) and promoted with the copies
/// outside the lock (<see cref="PromotionCopies"/>), only if its entry did not change meanwhile; a metadata-only store
/// moves each block in one short lock hold (<see cref="TierChain.Prefetch"/>).
/// </summary>
/// <remarks>SGLang HiCache and Dynamo KVBM prefetch the same way, on the request's arrival in the queue.</remarks>
internal sealed class Prefetcher
{
    private const int Skipped = -1;
    private const int MovedUnderLock = 1;
    private const int ReadNeeded = 0;

    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly TierChain _chain;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly PromotionCopies? _promotions; // null in a metadata-only store
    private readonly PromotionMode _promotion;
    private readonly int _blockBytes;

    public Prefetcher(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, SlotBinding slots, StoreCounters counters,
        IPlacementHooks placement, PromotionCopies? promotions, PromotionMode promotion, int blockBytes)
    {
        _table = table;
        _tiers = tiers;
        _top = top;
        _chain = chain;
        _slots = slots;
        _counters = counters;
        _placement = placement;
        _promotions = promotions;
        _promotion = promotion;
        _blockBytes = blockBytes;
    }

    /// <summary>
    /// Starts a prefetch of <paramref name="keys"/>; a disposed store or a cancelled token throws here, before a task
    /// exists, as <see cref="TieredKvStore.PrefetchAsync"/> documents.
    /// </summary>
    public Task<int> Start(TieredKvStore store, ReadOnlyMemory<BlockKey> keys, CancellationToken cancellationToken)
    {
        store.ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        return RunAsync(store, keys, cancellationToken);
    }

    /// <summary>Prefetches <paramref name="keys"/> (see <see cref="TieredKvStore.PrefetchAsync"/>); how many blocks moved up.</summary>
    private async Task<int> RunAsync(TieredKvStore store, ReadOnlyMemory<BlockKey> keys, CancellationToken cancellationToken)
    {
        if (keys.IsEmpty || _tiers.Length == 1 || _promotion == PromotionMode.Never)
        {
            return 0;
        }

        // Off the caller's thread: a server's request loop must not wait for a lower tier's reads.
        await Task.Yield();
        // A prefix longer than the top tier would push out its own first blocks; the first ones are worth most.
        int budget = _tiers[0].Capacity;
        int moved = 0;
        byte[]? buffer = _promotions is null ? null : ArrayPool<byte>.Shared.Rent(_blockBytes);
        try
        {
            for (int i = 0; i < keys.Length && moved < budget; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (await OneAsync(store, keys.Span[i], buffer, cancellationToken).ConfigureAwait(false))
                {
                    moved++;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return moved;
    }

    /// <summary>Promotes one block toward the top; true when it moved.</summary>
    private async ValueTask<bool> OneAsync(TieredKvStore store, BlockKey key, byte[]? buffer, CancellationToken cancellationToken)
    {
        if (key.IsEmpty)
        {
            return false;
        }

        int begun = Begin(store, key, buffer is null, out int e, out Tier? from, out int slot, out long stamp, out int target);
        if (begun != ReadNeeded)
        {
            return begun == MovedUnderLock;
        }

        if (from!.Direct is { } direct)
        {
            return MoveInPlace(store, e, stamp, from, direct, slot, target);
        }

        int got;
        try
        {
            got = from.Device is IAsyncBlockDevice awaitable
                ? await awaitable.ReadAsync(slot, key, buffer!, cancellationToken).ConfigureAwait(false)
                : from.Device.Read(slot, key, buffer!);
        }
        catch
        {
            _top.ExitReader();
            using (_top.EnterWrite())
            {
                SlotBinding.EndSlotIo(from!, slot); // the block stays where it was
            }

            throw;
        }

        _top.ExitReader();
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            bool left = SlotBinding.EndSlotIo(from, slot);
            bool same = !left && _table.Stamps[e] == stamp && _table.Tier[e] == from.Index && _table.Slot[e] == slot;
            if (got < 0)
            {
                if (same)
                {
                    _slots.DropUnreadable(e, from);
                }

                return false;
            }

            _counters.Read(from, got);
            if (!same)
            {
                return false; // a Put, Remove or move meanwhile wins
            }
        }

        return _promotions!.Promote(store, e, stamp, from, slot, target, buffer.AsSpan(0, got));
    }

    /// <summary>
    /// A block whose device keeps its bytes in place (<see cref="IDirectSlotAccess"/>) moves up from its slot without a
    /// bounce buffer: the slot's I/O count, taken by <see cref="Begin"/>, keeps it from being freed or rewritten until
    /// the promotion's copy has ended (the promotion's unbind leaves it reserved; the end here frees it).
    /// </summary>
    private bool MoveInPlace(TieredKvStore store, int e, long stamp, Tier from, IDirectSlotAccess direct, int slot, int target)
    {
        _top.ExitReader(); // the promotion announces its own copies
        try
        {
            using (_top.EnterWrite())
            {
                store.ThrowIfDisposed();
                if (_table.Stamps[e] != stamp || _table.Tier[e] != from.Index || _table.Slot[e] != slot)
                {
                    return false;
                }

                _counters.Read(from, from.Device.PayloadLength(slot));
            }

            return _promotions!.Promote(store, e, stamp, from, slot, target, direct.Payload(slot));
        }
        finally
        {
            using (_top.EnterWrite())
            {
                if (!store.IsDisposed)
                {
                    SlotBinding.EndSlotIo(from, slot);
                }
            }
        }
    }

    /// <summary>
    /// Under the lock: skips resident top-tier, absent, pending, pinned and moving blocks; in a metadata-only store (or
    /// for a block staged for write-behind, whose bytes are in memory) moves it at once; otherwise reserves its slot for a
    /// read outside the lock (a store reader announced).
    /// </summary>
    private int Begin(TieredKvStore store, in BlockKey key, bool metadataOnly, out int e, out Tier? from, out int slot,
        out long stamp, out int target)
    {
        from = null;
        slot = -1;
        stamp = 0;
        target = -1;
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            e = _table.Find(key);
            if (e < 0 || _table.Tier[e] <= 0 || _table.Pins[e] != 0 || _table.InFlight[e])
            {
                return Skipped;
            }

            if (metadataOnly || _table.Staging[e] >= 0)
            {
                return _chain.Prefetch(e) ? MovedUnderLock : Skipped;
            }

            target = Math.Max(0, _placement.PromotionCeiling(e));
            if (_table.Tier[e] <= target)
            {
                return Skipped;
            }

            from = _tiers[_table.Tier[e]];
            slot = _table.Slot[e];
            stamp = _table.Stamps[e];
            SlotBinding.BeginSlotIo(from, slot);
            _top.EnterReader(); // Dispose (which needs the lock) waits for the read to end
            return ReadNeeded;
        }
    }
}
