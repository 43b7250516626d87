using KvTiering.Placement;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// On a local miss, asks the shared tier for a block another store put; a hit is served from that tier and adopted
    /// like a put (into the promotion target: the top tier, or the tier above the shared one; not at all under
    /// <see cref="PromotionMode.Never"/>). Runs under the lock, like every device call.
    /// </summary>
    private bool TryGetRemoteLocked(in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier)
    {
        bytesWritten = 0;
        servedFromTier = -1;
        if (_remoteTier is not { } tier)
        {
            return false;
        }

        int read = ((IRemoteBlockSource)tier.Device).TryFetch(key, destination, out BlockKey parent);
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
        if (_promotion != PromotionMode.Never && target >= 0 && read <= BlockBytes)
        {
            AdmitNew(key, parent, destination[..read], BlockContext.None, target, PlacementReason.PromotedOnHit);
        }

        return true;
    }

    /// <summary>
    /// Extends a prefix match that stopped at <paramref name="next"/> with the blocks the shared tier holds (one round
    /// trip), then with any local blocks that follow them.
    /// </summary>
    /// <returns>The index of the first key neither matched.</returns>
    private int MatchRemoteLocked(ReadOnlySpan<BlockKey> keys, int next, ref PrefixMatch match, Span<int> tiers)
    {
        if (_remoteTier is not { } tier || next >= keys.Length)
        {
            return next;
        }

        int i = next;
        int end = next + ((IRemoteBlockSource)tier.Device).MatchPrefix(keys[next..]);
        for (; i < keys.Length; i++)
        {
            int e = _table.Find(keys[i]);
            int t = e >= 0 ? _table.Tier[e] : i < end ? tier.Index : -1;
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
