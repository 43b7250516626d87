using KvTiering.Blocks;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// Pins a resident block: it is never evicted, demoted or promoted until every pin is released. Pins in a tier
    /// may not exceed <see cref="KvStoreOptions.MaxPinnedFraction"/> of its capacity, so eviction always makes progress.
    /// </summary>
    /// <returns>False when the block is not resident or its tier's pin budget is spent.</returns>
    public bool Pin(in BlockKey key)
    {
        ThrowIfDisposed();
        lock (_lock)
        {
            ThrowIfDisposed();
            int e = _table.Find(key);
            if (e < 0)
            {
                return false;
            }

            if (_table.Pins[e] == 0)
            {
                Tier tier = _tiers[_table.Tier[e]];
                if (tier.PinnedCount + 1 > PinBudget(tier))
                {
                    return false;
                }

                tier.PinnedCount++;
            }

            _table.Pins[e]++;
            return true;
        }
    }

    /// <summary>Releases one pin. Returns false when the block is not resident or not pinned.</summary>
    public bool Unpin(in BlockKey key)
    {
        ThrowIfDisposed();
        lock (_lock)
        {
            ThrowIfDisposed();
            int e = _table.Find(key);
            if (e < 0 || _table.Pins[e] == 0)
            {
                return false;
            }

            if (--_table.Pins[e] == 0)
            {
                _tiers[_table.Tier[e]].PinnedCount--;
            }

            return true;
        }
    }

    /// <summary>Whether <paramref name="key"/> is resident and pinned.</summary>
    public bool IsPinned(in BlockKey key)
    {
        ThrowIfDisposed();
        lock (_lock)
        {
            int e = _table.Find(key);
            return e >= 0 && _table.Pins[e] > 0;
        }
    }

    private int PinBudget(Tier tier) => (int)Math.Floor(tier.Capacity * _maxPinnedFraction);
}
