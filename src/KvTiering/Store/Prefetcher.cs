using System.Buffers;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// <see cref="TieredKvStore.PrefetchAsync"/>: brings a queued request's lower-tier blocks up before it runs. In a store
/// that keeps payloads each block is read outside the lock (its slot kept from being freed or rewritten; a device that
/// declares <see cref="IAsyncBlockDevice"/> is awaited, and cancellation reaches its read) and promoted with the copies
/// outside the lock (<see cref="PromotionCopies"/>), only if its entry did not change meanwhile; a metadata-only store
/// moves each block in one short lock hold (<see cref="TierChain.Prefetch"/>); one block's steps are
/// <see cref="BlockPrefetch"/>'s. A tier whose device declares
/// <see cref="IConcurrentReads"/> has up to its window of reads in flight at once (<see cref="PrefetchWindow"/>), counted
/// with every other prefetch's and batch's (<see cref="DeviceReadWindow"/>); the blocks still move up one at a time, in order. When those blocks land in a full tier whose victims go down to a device
/// that declares <see cref="IConcurrentWrites"/>, the victims' writes are in flight together too (<see cref="DemotionWindow"/>).
/// </summary>
/// <remarks>SGLang HiCache and Dynamo KVBM prefetch the same way, on the request's arrival in the queue.</remarks>
internal sealed class Prefetcher
{
    /// <summary>The largest <see cref="IConcurrentReads.ReadWindow"/> or <see cref="IConcurrentWrites.WriteWindow"/> a store accepts.</summary>
    internal const int MaxWindow = 1024;

    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly PromotionCopies? _promotions; // null in a metadata-only store
    private readonly BlockMover _mover;
    private readonly PromotionMode _promotion;
    private readonly int _blockBytes;
    private readonly BlockPrefetch _blocks;
    private readonly int _widestWindow;
    private readonly int[] _writeWindows; // per tier: demotion writes out of it worth keeping in flight (1: one at a time)
    private readonly DemotionPlaces _writePlaces; // the places those writes take in their device's store-wide window

    public Prefetcher(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, SlotBinding slots, StoreCounters counters,
        IPlacementHooks placement, TierPassOver passOver, PromotionCopies? promotions, BlockMover mover, PromotionMode promotion,
        SlotReads reads, int blockBytes)
    {
        _tiers = tiers;
        _top = top;
        _promotions = promotions;
        _mover = mover;
        _promotion = promotion;
        _blockBytes = blockBytes;
        _blocks = new BlockPrefetch(table, tiers, top, chain, slots, counters, placement, passOver, promotions, reads);
        _widestWindow = _blocks.WidestReadWindow;
        _writeWindows = DemotionWindow.Windows(tiers);
        _writePlaces = new DemotionPlaces(tiers);
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
        PrefetchWindow? window = _promotions is null || _widestWindow == 1 ? null : new PrefetchWindow(_blocks, _widestWindow, _blockBytes);
        DemotionWindow? demotions = window is null ? null : DemotionWindow.Create(_mover, _top, _writeWindows, _writePlaces, _blockBytes);
        try
        {
            for (int i = 0; i < keys.Length && moved < budget; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (window is not null)
                {
                    if (window.Failed && window.Count == 0)
                    {
                        break; // a read threw: the window's other blocks moved; no new ones are read
                    }

                    if (demotions is { Failed: true })
                    {
                        break; // a write threw (not an I/O error): its victim stayed; the prefetch throws it below
                    }

                    // The window never holds more reads than blocks the budget still takes.
                    window.Fill(store, keys.Span, i, budget - moved, cancellationToken);
                }

                bool ahead = window is not null && window.Holds(i);
                if (ahead && demotions is not null)
                {
                    // Victims for the reads in flight go down together; the oldest frees this block's slot.
                    await demotions.MakeRoomAsync(store, _tiers[window!.HeadTarget], window.Count, cancellationToken).ConfigureAwait(false);
                }

                bool up = ahead
                    ? await window!.CommitAsync(store, keys.Span[i], cancellationToken).ConfigureAwait(false)
                    : await _blocks.OneAsync(store, keys.Span[i], buffer, cancellationToken).ConfigureAwait(false);
                moved += up ? 1 : 0;
            }

            window?.ThrowIfFailed();
            if (demotions is not null)
            {
                await demotions.DrainAsync(store).ConfigureAwait(false);
                demotions.ThrowIfFailed();
            }
        }
        finally
        {
            if (demotions is not null)
            {
                await demotions.DrainAsync(store).ConfigureAwait(false); // the writes in flight land first
                demotions.ReturnBuffers();
            }

            if (window is not null)
            {
                await window.AbandonAsync().ConfigureAwait(false);
            }

            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return moved;
    }
}
