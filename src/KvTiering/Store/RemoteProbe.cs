using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// The local misses a shared tier may answer: the first tier whose device declares <see cref="IRemoteBlockSource"/>
/// (<see cref="SourceTier"/>, found once, at construction) holds blocks other stores put, which this store's table does
/// not index. A lookup the table misses asks it for the block. Never asked in a metadata-only store. A fetch is a
/// network round trip (up to the source's timeout on a slow server), so it does not run under the store's lock: a
/// lookup takes its place under the lock (<see cref="TryBegin"/>), fetches without it (<see cref="Fetch"/>,
/// <see cref="FetchAsync"/>) and adopts the block under it again. A fetch that misses says why (absent there too,
/// corrupt or forged, or the tier not reached), and the caller is told so. Residency questions (how far a prefix
/// continues there, which keys it holds) are <see cref="RemoteQueries"/>'.
/// </summary>
internal sealed class RemoteProbe
{
    private readonly BlockTable _table;
    private readonly TopTierReader _top;
    private readonly StoreCounters _counters;
    private readonly Tier? _tier;
    private readonly IRemoteBlockSource? _source;
    private readonly PromotionMode _promotion;
    private readonly int _blockBytes;

    public RemoteProbe(BlockTable table, Tier? tier, TopTierReader top, StoreCounters counters, PromotionMode promotion, int blockBytes)
    {
        _table = table;
        _top = top;
        _counters = counters;
        _promotion = promotion;
        _blockBytes = blockBytes;
        _tier = tier;
        _source = tier?.Device as IRemoteBlockSource;
    }

    /// <summary>The shared tier a store over <paramref name="tiers"/> asks on a local miss, or null (none, or metadata-only).</summary>
    public static Tier? SourceTier(Tier[] tiers, bool metadataOnly) =>
        metadataOnly ? null : Array.Find(tiers, static t => t.Device is IRemoteBlockSource);

    /// <summary>
    /// Under the lock, on a table miss: true when the shared tier is to be asked, with a place in its device's read window
    /// taken (<paramref name="held"/>'s, then cleared, or a free one) and a store reader announced (<c>Dispose</c>, which
    /// needs the lock, then waits for the fetch); the caller lets the lock go and calls <see cref="Fetch"/> or
    /// <see cref="FetchAsync"/>. False with <paramref name="full"/> null: no shared tier, a final miss. False with
    /// <paramref name="full"/> set: its window has no place; nothing was taken, and the caller waits for a place
    /// (without the lock) and tries again.
    /// </summary>
    public bool TryBegin(ref DeviceReadWindow? held, out DeviceReadWindow? full)
    {
        full = null;
        if (_source is null)
        {
            return false;
        }

        if (!SlotReads.TryTakePlace(_tier!, ref held))
        {
            full = _tier!.ReadWindow;
            return false;
        }

        _top.EnterReader();
        return true;
    }

    /// <summary>
    /// After <see cref="TryBegin"/>, without the lock: fetches the block, then adopts it under the lock (see
    /// <see cref="Adopt"/>). The reader and the place end with the fetch, before the lock is asked for again.
    /// </summary>
    public bool Fetch(TieredKvStore store, TierChain chain, in BlockKey key, Span<byte> destination, out int bytesWritten,
        out int servedFromTier, out BlockMiss miss)
    {
        int read;
        BlockKey parent;
        ReadFailure failure;
        try
        {
            try
            {
                read = _source!.TryFetch(key, destination, out parent, out failure);
            }
            finally
            {
                Ended();
            }
        }
        catch
        {
            Abandon();
            throw;
        }

        return Adopt(store, chain, key, read, parent, failure, destination, out bytesWritten, out servedFromTier, out miss);
    }

    /// <summary><see cref="Fetch"/> with the fetch awaited (<see cref="IRemoteBlockSource.TryFetchAsync"/>): no thread waits for the round trip.</summary>
    /// <exception cref="OperationCanceledException">Cancelled during the fetch: neither a hit nor a miss, nothing adopted.</exception>
    public async ValueTask<BlockRead> FetchAsync(TieredKvStore store, TierChain chain, BlockKey key, Memory<byte> destination,
        CancellationToken cancellationToken)
    {
        (int Length, BlockKey Parent, ReadFailure Failure) fetched;
        try
        {
            try
            {
                fetched = await _source!.TryFetchAsync(key, destination, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Ended();
            }
        }
        catch
        {
            Abandon();
            throw;
        }

        bool hit = Adopt(store, chain, key, fetched.Length, fetched.Parent, fetched.Failure, destination.Span, out int written,
            out int tier, out BlockMiss miss);
        return new BlockRead(hit, written, tier) { Miss = miss };
    }

    /// <summary>
    /// Under the lock, after a fetch of <paramref name="read"/> bytes: a hit is served from the shared tier and adopted
    /// like a put through <paramref name="chain"/> (into the promotion target: the top tier, or the tier above the
    /// shared one; not at all under <see cref="PromotionMode.Never"/>), unless the key became resident meanwhile (a put,
    /// or another lookup's fetch, won): the fetched bytes are the block's all the same (keys are content addresses and
    /// the source verified them), so the read still hits and the block is not adopted twice. A miss gets the fetch's own
    /// cause (<see cref="Missed"/>).
    /// </summary>
    private bool Adopt(TieredKvStore store, TierChain chain, in BlockKey key, int read, in BlockKey parent, ReadFailure failure,
        ReadOnlySpan<byte> fetched, out int bytesWritten, out int servedFromTier, out BlockMiss miss)
    {
        bytesWritten = 0;
        servedFromTier = -1;
        miss = BlockMiss.None;
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed(); // its devices are closed: nothing to adopt into
            if (read <= 0)
            {
                miss = read < 0 ? Missed(failure) : BlockMiss.NotResident; // an empty value holds no block
                if (miss == BlockMiss.NotResident)
                {
                    miss = chain.Damaged.MissOf(key); // absent there too, and dropped damaged here at open: corrupt
                }

                return false;
            }

            Tier tier = _tier!;
            _counters.Hits++;
            tier.Counters.Hits++;
            _counters.Read(tier, read);
            bytesWritten = read;
            servedFromTier = tier.Index;
            int target = _promotion == PromotionMode.ToTop ? 0 : tier.Index - 1;
            if (_promotion != PromotionMode.Never && target >= 0 && read <= _blockBytes && _table.Find(key) < 0)
            {
                chain.Admit(key, parent, fetched[..read], BlockContext.None, target, PlacementReason.PromotedOnHit);
            }
        }

        return true;
    }

    /// <summary>
    /// Under the lock: a fetch's miss as the caller is told it, counted on the shared tier by its cause. Absent there
    /// too is a plain miss (the store held no such block); a value that failed verification is an integrity event,
    /// counted as a checksum failure like a slot read's (the source deleted it); a tier that could not be asked may
    /// still hold the block, so the caller hears <see cref="BlockMiss.Unreachable"/> (a snapshot whose pieces live
    /// only there is kept for when it answers). A source that did not say why is taken as corrupt, as a device is.
    /// </summary>
    private BlockMiss Missed(ReadFailure failure)
    {
        switch (failure)
        {
            case ReadFailure.Lost:
                return BlockMiss.NotResident;
            case ReadFailure.Unreachable:
                _tier!.Counters.UnreachableFetches++;
                return BlockMiss.Unreachable;
            default:
                _tier!.Counters.ChecksumFailures++;
                return BlockMiss.Corrupt;
        }
    }

    /// <summary>The fetch ended (done, thrown or cancelled): its store reader and its place end with it, before the lock is asked for.</summary>
    private void Ended()
    {
        _top.ExitReader();
        _tier!.ReadWindow?.Exit();
    }

    /// <summary>A fetch that threw or was cancelled is neither a hit nor a miss.</summary>
    private void Abandon()
    {
        using (_top.EnterWrite())
        {
            _counters.Lookups--;
        }
    }
}
