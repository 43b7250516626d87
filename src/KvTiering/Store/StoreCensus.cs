using KvTiering.Blocks;
using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>
/// What the store holds and has counted, read under its lock and changing no block (<see cref="TieredKvStore.Count"/>,
/// <see cref="TieredKvStore.GetStatistics"/>, and the resident blocks the KV-event replay and tests walk). A snapshot
/// folds the queued lock-free hits in first, so its counts include every hit made before it.
/// </summary>
internal sealed class StoreCensus
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly StoreCounters _counters;
    private readonly SlotBinding _slots;

    public StoreCensus(BlockTable table, Tier[] tiers, TopTierReader top, StoreCounters counters, SlotBinding slots)
    {
        _table = table;
        _tiers = tiers;
        _top = top;
        _counters = counters;
        _slots = slots;
    }

    /// <summary>Blocks resident across all tiers.</summary>
    public int Count
    {
        get
        {
            lock (_top.Lock)
            {
                return _table.Count;
            }
        }
    }

    /// <summary>A snapshot of every counter.</summary>
    public StoreStatistics Snapshot()
    {
        lock (_top.Lock)
        {
            _top.DrainAndFold();
            return _counters.Snapshot(_tiers, _table.Count);
        }
    }

    /// <summary>Runs <paramref name="action"/> under the lock with every resident block and its tier.</summary>
    public void WithResidentBlocks(TieredKvStore store, Action<IEnumerable<(BlockKey Key, BlockKey Parent, int Tier, TierKind Medium)>> action)
    {
        store.ThrowIfDisposed();
        lock (_top.Lock)
        {
            action(_slots.Resident(_tiers));
        }
    }
}
