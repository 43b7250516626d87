using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// Blocks taken out because a caller asked (<see cref="TieredKvStore.Remove"/>, <see cref="TieredKvStore.Clear"/>),
/// not because a policy chose them: one block through <see cref="TierChain"/> (which tells its tier's policy), or every
/// block at once through <see cref="SlotBinding.ReleaseAll"/> (one <c>AllCleared</c> event). Under the lock.
/// </summary>
internal sealed class StoreRemovals
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly TierChain _chain;
    private readonly SlotBinding _slots;

    public StoreRemovals(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, SlotBinding slots)
    {
        _table = table;
        _tiers = tiers;
        _top = top;
        _chain = chain;
        _slots = slots;
    }

    /// <summary>Removes the block from whichever tier holds it, pinned or not; false when it was absent.</summary>
    public bool Remove(TieredKvStore store, in BlockKey key)
    {
        store.ThrowIfDisposed();
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            int e = _table.Find(key);
            if (e < 0)
            {
                return false;
            }

            _chain.Remove(e);
            return true;
        }
    }

    /// <summary>Removes every block from every tier, pinned or not.</summary>
    public void Clear(TieredKvStore store)
    {
        store.ThrowIfDisposed();
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            _top.Drain(); // queued hits name slots about to be freed
            _slots.ReleaseAll(_tiers);
        }
    }
}
