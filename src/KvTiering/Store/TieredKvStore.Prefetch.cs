using KvTiering.Blocks;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// Brings the lower-tier blocks among <paramref name="keys"/> up to the top tier (or as high as a placement router
    /// lets their labels go) before a request needs them, so that <see cref="MatchPrefix(ReadOnlySpan{BlockKey})"/>
    /// and the reads that follow find them on the top tier's lock-free path. A server calls it when a request is
    /// queued, with the request's block keys.
    /// </summary>
    /// <remarks>
    /// Runs off the caller's thread, one block at a time, each under its own short hold of the store's lock, so puts
    /// and hits interleave with it; cancellation is checked between blocks and leaves every block either where it was
    /// or fully promoted. Resident top-tier blocks, absent blocks, pinned blocks and blocks already moving are skipped.
    /// The top tier's policy may decline a block (it then stays where it is). At most the top tier's capacity of blocks
    /// moves, the first in <paramref name="keys"/> order, so a long prefix does not push out its own head. Prefetching tells no policy of an access:
    /// the request's own reads do that. SGLang HiCache and Dynamo KVBM prefetch the same way, on the request's arrival
    /// in the queue.
    /// </remarks>
    /// <param name="keys">The blocks to bring up, typically a queued request's prefix; empty keys are ignored.</param>
    /// <param name="cancellationToken">Stops the prefetch between blocks.</param>
    /// <returns>How many blocks moved up.</returns>
    /// <exception cref="OperationCanceledException">Cancelled; the blocks moved so far stay moved.</exception>
    public async Task<int> PrefetchAsync(ReadOnlyMemory<BlockKey> keys, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        if (keys.IsEmpty || _tiers.Length == 1 || _promotion == PromotionMode.Never)
        {
            return 0;
        }

        // Off the caller's thread: a server's request loop must not wait for a lower tier's reads.
        await Task.Yield();
        // A prefix longer than the top tier would push out its own first blocks; the first ones are worth most.
        int budget = _tiers[0].Capacity;
        int moved = 0;
        for (int i = 0; i < keys.Length && moved < budget; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (PrefetchOne(keys.Span[i]))
            {
                moved++;
            }
        }

        return moved;
    }

    /// <summary>Promotes one block toward the top; true when it moved.</summary>
    private bool PrefetchOne(in BlockKey key)
    {
        if (key.IsEmpty)
        {
            return false;
        }

        using (EnterWrite())
        {
            ThrowIfDisposed();
            int e = _table.Find(key);
            if (e < 0 || _table.Pins[e] != 0 || _table.InFlight[e])
            {
                return false;
            }

            int from = _table.Tier[e];
            int target = _routing is null ? 0 : Math.Max(0, _routing.PromotionCeiling(_table.Labels[e]));
            if (from <= target)
            {
                return false;
            }

            Promote(e, _tiers[from], target, default, readBooked: false);
            int now = _table.Find(key);
            return now >= 0 && _table.Tier[now] < from;
        }
    }
}
