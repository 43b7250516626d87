using KvTiering.Blocks;
using KvTiering.Eviction;

namespace KvTiering.Store;

/// <summary>The lock-free lookups that are not hits: a resident re-put, a prefix match, a tier query.</summary>
internal sealed partial class TopTierReader
{
    /// <summary>
    /// A put of a block already in a reference-bit top tier, without the lock, when the locked path would change
    /// nothing but the bit: the context it carries (session, labels, next use) is what the entry holds already. Such
    /// re-puts are common (every request re-offers its prefix) and would otherwise queue behind inserts on the lock.
    /// </summary>
    public bool TryTouchResident(in BlockKey key, in BlockContext context)
    {
        long version = _seq.Version;
        BlockTable table = _table;
        int e = table.FindOptimistic(key, out int slot);
        if ((version & 1) != 0 || (e | slot) < 0
            || table.NextUse[e] != context.NextUse
            || (context.Session != 0 && table.Session[e] != context.Session)
            || (!context.Labels.IsUnlabeled && !table.Labels[e].Equals(context.Labels))
            || !_seq.IsValid(version))
        {
            return false;
        }

        MarkReferenced(_referenceBits!, slot);
        _lockFreeCounts.AddPut();
        return true;
    }

    /// <summary>
    /// A prefix match without the lock (it moves nothing and tells no policy, so only the table must hold still);
    /// false means "take the locked path": a writer ran, or the match may continue into a remote tier.
    /// </summary>
    public bool TryMatchPrefix(ReadOnlySpan<BlockKey> keys, Span<int> tiers, int tierCount, out PrefixMatch match)
    {
        match = default;
        if (!_seq.TryBeginRead(out long version))
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
                if (e == -2 || _remoteMayHave)
                {
                    return false;
                }

                break;
            }

            int tier = table.Tier[e];
            if ((uint)tier >= (uint)tierCount)
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
        return _seq.IsValid(version);
    }

    /// <summary>The tier holding <paramref name="key"/> (or -1) without the lock; false means "take the locked path".</summary>
    public bool TryTierOf(in BlockKey key, out int tier)
    {
        tier = -1;
        if (!_seq.TryBeginRead(out long version))
        {
            return false;
        }

        int e = _table.FindOptimistic(key);
        if (e == -2)
        {
            return false;
        }

        tier = e < 0 ? -1 : _table.Tier[e];
        return _seq.IsValid(version);
    }
}
