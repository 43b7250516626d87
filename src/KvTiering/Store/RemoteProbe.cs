using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// The local misses a shared tier may answer: the first tier whose device declares <see cref="IRemoteBlockSource"/>
/// (found once, at construction) holds blocks other stores put, which this store's table does not index. A lookup the
/// table misses asks it, and a prefix match that stops locally asks it how far the prefix continues. Never asked in a
/// metadata-only store. Call under the store's lock.
/// </summary>
internal sealed class RemoteProbe
{
    private readonly BlockTable _table;
    private readonly StoreCounters _counters;
    private readonly Tier? _tier;
    private readonly IRemoteBlockSource? _source;
    private readonly PromotionMode _promotion;
    private readonly int _blockBytes;

    public RemoteProbe(BlockTable table, Tier[] tiers, StoreCounters counters, PromotionMode promotion, bool metadataOnly, int blockBytes)
    {
        _table = table;
        _counters = counters;
        _promotion = promotion;
        _blockBytes = blockBytes;
        _tier = metadataOnly ? null : Array.Find(tiers, static t => t.Device is IRemoteBlockSource);
        _source = _tier?.Device as IRemoteBlockSource;
    }

    /// <summary>Whether a shared tier may hold blocks the table does not index (a lock-free miss is then never final).</summary>
    public bool MayHaveMore => _source is not null;

    /// <summary>
    /// On a local miss, asks the shared tier for a block another store put; a hit is served from that tier and adopted
    /// like a put through <paramref name="chain"/> (into the promotion target: the top tier, or the tier above the
    /// shared one; not at all under <see cref="PromotionMode.Never"/>). The fetch is a read of the shared tier's
    /// device and takes a place in its window first (<paramref name="held"/>'s, then cleared, or a free one); none
    /// free: <paramref name="full"/> names the window, nothing was asked, and the caller waits for a place (without
    /// the lock) and tries again.
    /// </summary>
    public bool TryGet(TierChain chain, in BlockKey key, Span<byte> destination, ref DeviceReadWindow? held,
        out DeviceReadWindow? full, out int bytesWritten, out int servedFromTier)
    {
        bytesWritten = 0;
        servedFromTier = -1;
        full = null;
        if (_source is null)
        {
            return false;
        }

        Tier tier = _tier!;
        if (!SlotReads.TryTakePlace(tier, ref held))
        {
            full = tier.ReadWindow;
            return false;
        }

        int read;
        BlockKey parent;
        try
        {
            read = _source.TryFetch(key, destination, out parent);
        }
        finally
        {
            tier.ReadWindow?.Exit();
        }

        if (read <= 0)
        {
            return false;
        }

        _counters.Hits++;
        tier.Counters.Hits++;
        _counters.Read(tier, read);
        bytesWritten = read;
        servedFromTier = tier.Index;
        int target = _promotion == PromotionMode.ToTop ? 0 : tier.Index - 1;
        if (_promotion != PromotionMode.Never && target >= 0 && read <= _blockBytes)
        {
            chain.Admit(key, parent, destination[..read], BlockContext.None, target, PlacementReason.PromotedOnHit);
        }

        return true;
    }

    /// <summary>
    /// Extends a prefix match that stopped at <paramref name="next"/> with the blocks the shared tier holds (one round
    /// trip), then with any local blocks that follow them.
    /// </summary>
    /// <returns>The index of the first key neither matched.</returns>
    public int Match(ReadOnlySpan<BlockKey> keys, int next, ref PrefixMatch match, Span<int> tiers)
    {
        if (_source is null || next >= keys.Length)
        {
            return next;
        }

        int remote = _tier!.Index;
        int i = next;
        int end = next + _source.MatchPrefix(keys[next..]);
        for (; i < keys.Length; i++)
        {
            int e = _table.Find(keys[i]);
            int t = e >= 0 ? _table.Tier[e] : i < end ? remote : -1;
            if (t < 0)
            {
                break;
            }

            match.Count(t);
            if (i < tiers.Length)
            {
                tiers[i] = t;
            }
        }

        return i;
    }
}
