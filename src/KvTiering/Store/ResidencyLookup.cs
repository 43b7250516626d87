using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// Where blocks are, moving nothing and telling no policy: a request's resident prefix (per tier) and one block's
/// tier. The top tier answers lock-free when it can (<see cref="TopTierReader"/>); otherwise the table is read under
/// the lock, and a prefix that runs past the local tiers is continued in a remote source (<see cref="RemoteProbe"/>).
/// </summary>
internal sealed class ResidencyLookup
{
    private readonly BlockTable _table;
    private readonly TopTierReader _top;
    private readonly RemoteProbe _remote;
    private readonly int _tierCount;

    public ResidencyLookup(BlockTable table, TopTierReader top, RemoteProbe remote, int tierCount)
    {
        _table = table;
        _top = top;
        _remote = remote;
        _tierCount = tierCount;
    }

    /// <summary>How many leading blocks of <paramref name="keys"/> are resident, and where (see <see cref="TieredKvStore.MatchPrefix(ReadOnlySpan{BlockKey}, Span{int})"/>).</summary>
    public PrefixMatch MatchPrefix(TieredKvStore store, ReadOnlySpan<BlockKey> keys, Span<int> tiers)
    {
        if (_top.TryMatchPrefix(keys, tiers, _tierCount, out PrefixMatch match))
        {
            return match;
        }

        match = default;
        lock (_top.Lock)
        {
            store.ThrowIfDisposed();
            int i = 0;
            for (; i < keys.Length; i++)
            {
                int e = _table.Find(keys[i]);
                if (e < 0 || _table.Tier[e] < 0) // absent, or a put still copying it in
                {
                    break;
                }

                int tier = _table.Tier[e];
                match.Count(tier);
                if (i < tiers.Length)
                {
                    tiers[i] = tier;
                }
            }

            match.Blocks = _remote.Match(keys, i, ref match, tiers);
        }

        return match;
    }

    /// <summary>The tier that holds <paramref name="key"/>, or -1.</summary>
    public int TierOf(TieredKvStore store, in BlockKey key)
    {
        if (_top.TryTierOf(key, out int resident))
        {
            return resident;
        }

        lock (_top.Lock)
        {
            store.ThrowIfDisposed();
            int e = _table.Find(key);
            return e < 0 ? -1 : _table.Tier[e];
        }
    }
}
