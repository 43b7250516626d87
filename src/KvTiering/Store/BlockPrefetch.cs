using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// One block's prefetch, for <see cref="Prefetcher"/> and its <see cref="PrefetchWindow"/>: under the lock the block is
/// skipped, moved at once (metadata-only, or staged for write-behind) or its slot reserved for a read outside the lock
/// (<see cref="Begin"/>, <see cref="SlotReads"/>); after the read, <see cref="Finish"/> promotes it through
/// <see cref="PromotionCopies"/> only if its entry did not change meanwhile. A device that keeps its bytes in place
/// moves without a bounce buffer. A read of a tier with a device window waits for a place in it, as every reader does.
/// </summary>
internal sealed class BlockPrefetch
{
    private const int Skipped = -1;
    private const int MovedUnderLock = 1;
    private const int ReadNeeded = 0;
    private const int WindowFull = -2; // the tier's device window is full: nothing taken, the block waits for a place

    /// <summary><see cref="Finish"/>: the block moved up.</summary>
    internal const int Moved = 1;

    /// <summary><see cref="Finish"/>: the block stays (unreadable, or declined by the top tier).</summary>
    internal const int NotMoved = 0;

    /// <summary><see cref="Finish"/>: the entry changed while it was read; what was read is not used.</summary>
    internal const int Changed = -1;

    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly TierChain _chain;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly PromotionCopies? _promotions; // null in a metadata-only store
    private readonly TierPassOver _passOver;

    public BlockPrefetch(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, SlotBinding slots, StoreCounters counters,
        IPlacementHooks placement, TierPassOver passOver, PromotionCopies? promotions, SlotReads reads)
    {
        _passOver = passOver;
        _table = table;
        _tiers = tiers;
        _top = top;
        _chain = chain;
        _slots = slots;
        _counters = counters;
        _placement = placement;
        _promotions = promotions;
        Reads = reads;
        WidestReadWindow = tiers.Max(static t => t.ReadWindow?.Size ?? 1);
    }

    /// <summary>The widest read window of any tier (1: every tier reads one block at a time).</summary>
    public int WidestReadWindow { get; }

    /// <summary>The reads outside the lock that this type's steps and the prefetch's window run.</summary>
    public SlotReads Reads { get; }

    /// <summary>Promotes one block toward the top; true when it moved.</summary>
    internal async ValueTask<bool> OneAsync(TieredKvStore store, BlockKey key, byte[]? buffer, CancellationToken cancellationToken)
    {
        if (key.IsEmpty)
        {
            return false;
        }

        int begun, e, slot, target;
        long stamp;
        Tier? from;
        DeviceReadWindow? held = null; // a place in a full window this block waited for: its next try uses it
        try
        {
            while ((begun = Begin(store, key, buffer is null, ahead: false, ref held, out e, out from, out slot, out stamp, out target)) == WindowFull)
            {
                held?.Exit(); // another tier's, where the block was before
                held = null;
                await from!.ReadWindow!.EnterAsync(cancellationToken).ConfigureAwait(false); // holding nothing meanwhile
                held = from.ReadWindow;
            }
        }
        finally
        {
            held?.Exit(); // waited for, and the block needed no read after all
        }

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
            try
            {
                got = from.Device is IAsyncBlockDevice awaitable
                    ? await awaitable.ReadAsync(slot, key, buffer!, cancellationToken).ConfigureAwait(false)
                    : from.Device.Read(slot, key, buffer!);
            }
            finally
            {
                // The reader and the place cover the read only: Dispose waits for the reader under the lock, which
                // whatever follows needs, and the place is another reader's as soon as the device is done.
                Reads.Ended(from);
            }
        }
        catch
        {
            Reads.Abandon(from, slot); // the block stays where it was
            throw;
        }

        return Finish(store, e, stamp, from, slot, target, got, buffer!) == Moved;
    }

    /// <summary>
    /// Under the lock, for a read ahead of the blocks before it (<see cref="PrefetchWindow"/>): reserves
    /// <paramref name="key"/>'s slot for a read outside the lock, as <see cref="Begin"/> does, only when its tier's device
    /// has a window wider than one read with a place free and the block needs nothing but a read; false (nothing
    /// changed) otherwise, and the block waits for its turn.
    /// </summary>
    internal bool BeginAhead(TieredKvStore store, in BlockKey key, out int e, out Tier? from, out int slot, out long stamp, out int target)
    {
        DeviceReadWindow? none = null;
        return Begin(store, key, metadataOnly: false, ahead: true, ref none, out e, out from, out slot, out stamp, out target) == ReadNeeded;
    }

    /// <summary>
    /// After entry <paramref name="e"/>'s block was read (<paramref name="got"/> bytes into <paramref name="buffer"/>, or
    /// -1: unreadable, a miss, the block dropped unless its device could not be reached): ends the read and promotes the
    /// block when its entry did not change meanwhile.
    /// </summary>
    /// <returns><see cref="Moved"/>, <see cref="NotMoved"/>, or <see cref="Changed"/> when a Put, Remove or move won meanwhile.</returns>
    internal int Finish(TieredKvStore store, int e, long stamp, Tier from, int slot, int target, int got, byte[] buffer)
    {
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            bool left = SlotBinding.EndSlotIo(from, slot);
            bool same = !left && _table.IsAt(e, stamp, from.Index, slot);
            if (got < 0)
            {
                if (same)
                {
                    _slots.DropUnreadable(e, from, keepUnreachable: true);
                }

                return same ? NotMoved : Changed;
            }

            _counters.Read(from, got);
            if (!same)
            {
                return Changed; // a Put, Remove or move meanwhile wins
            }
        }

        return _promotions!.Promote(store, e, stamp, from, slot, target, buffer.AsSpan(0, got)) ? Moved : NotMoved;
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
                if (!_table.IsAt(e, stamp, from.Index, slot))
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
    /// Under the lock: skips resident top-tier, absent, pending, pinned and moving blocks, and blocks whose target tier
    /// cannot take a write now (<see cref="TierPassOver"/>); in a metadata-only store (or for a block staged for
    /// write-behind, whose bytes are in memory) moves it at once; otherwise reserves its slot for a read outside the lock
    /// (<see cref="SlotReads"/>) with a place in the device's window, <paramref name="held"/>'s or a free one (none
    /// free: <see cref="WindowFull"/>, nothing taken, <paramref name="from"/> the tier). A read <paramref name="ahead"/>
    /// moves nothing and reserves only a plain read on a tier whose window has room; else it skips.
    /// </summary>
    private int Begin(TieredKvStore store, in BlockKey key, bool metadataOnly, bool ahead, ref DeviceReadWindow? held, out int e,
        out Tier? from, out int slot, out long stamp, out int target)
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
                return !ahead && _chain.Prefetch(e) ? MovedUnderLock : Skipped;
            }

            target = Math.Max(0, _placement.PromotionCeiling(e));
            if (_table.Tier[e] <= target)
            {
                return Skipped;
            }

            // No read for a promotion that cannot land: the block stays. Counted on its own turn, not on a read ahead.
            if (ahead ? !_tiers[target].TakesWritesNow : _passOver.Unreachable(_tiers[target], e, _table.Tier[e]))
            {
                return Skipped;
            }

            from = _tiers[_table.Tier[e]];
            if (ahead && (from.Direct is not null || from.ReadWindow is not { Size: > 1 }))
            {
                from = null;
                return Skipped; // moves in place, or one read at a time: its turn comes
            }

            if (from.Direct is null && !SlotReads.TryTakePlace(from, ref held))
            {
                if (!ahead)
                {
                    return WindowFull;
                }

                from = null;
                return Skipped; // the device's window is full: its turn comes
            }

            slot = _table.Slot[e];
            stamp = _table.Stamps[e];
            Reads.Begin(from, slot);
            return ReadNeeded;
        }
    }
}
