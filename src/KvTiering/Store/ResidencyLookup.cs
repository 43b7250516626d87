using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// Where blocks are, moving nothing and telling no policy: a request's resident prefix (per tier) and one block's
/// tier. The table is read lock-free first, checked by the store's version (<see cref="TopTierReader.TryBeginRead"/>); otherwise the table is read under
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
        store.ThrowIfDisposed();
        if (TryMatchPrefix(keys, tiers, out PrefixMatch match))
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
        store.ThrowIfDisposed();
        if (TryTierOf(key, out int resident))
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

    /// <summary>
    /// A prefix match without the lock (it moves nothing and tells no policy, so only the table must hold still);
    /// false means "take the locked path": a writer ran, or the match may continue into a remote tier.
    /// </summary>
    private bool TryMatchPrefix(ReadOnlySpan<BlockKey> keys, Span<int> tiers, out PrefixMatch match)
    {
        match = default;
        if (!_top.TryBeginRead(out long version))
        {
            return false;
        }

        BlockTable table = _table;
        int i = 0;
        for (; i < keys.Length; i++)
        {
            int e = table.FindOptimistic(keys[i]);
            if (e < 0)
            {
                if (e == -2 || _remote.MayHaveMore)
                {
                    return false;
                }

                break;
            }

            int tier = table.Tier[e];
            if ((uint)tier >= (uint)_tierCount)
            {
                return false; // an entry being recycled under us; the version check would reject it anyway
            }

            match.Count(tier);
            if (i < tiers.Length)
            {
                tiers[i] = tier;
            }
        }

        match.Blocks = i;
        return _top.IsValid(version);
    }

    /// <summary>The tier holding <paramref name="key"/> (or -1) without the lock; false means "take the locked path".</summary>
    private bool TryTierOf(in BlockKey key, out int tier)
    {
        tier = -1;
        if (!_top.TryBeginRead(out long version))
        {
            return false;
        }

        int e = _table.FindOptimistic(key);
        if (e == -2)
        {
            return false;
        }

        tier = e < 0 ? -1 : _table.Tier[e];
        return _top.IsValid(version);
    }
}
