using KvTiering.Blocks;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>Where a block is and the ledger lines that put it there (<see cref="TieredKvStore.Explain"/>).</summary>
internal sealed class BlockExplainer
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly PlacementLedger? _ledger;
    private readonly TopTierReader _top;

    public BlockExplainer(BlockTable table, Tier[] tiers, PlacementLedger? ledger, TopTierReader top)
    {
        _table = table;
        _tiers = tiers;
        _ledger = ledger;
        _top = top;
    }

    /// <summary>Explains <paramref name="key"/> under the store's lock; allocates (a diagnostic, not the serving path).</summary>
    public BlockExplanation Explain(TieredKvStore store, in BlockKey key)
    {
        store.ThrowIfDisposed();
        lock (_top.Lock)
        {
            store.ThrowIfDisposed();
            int e = _table.Find(key);
            IReadOnlyList<LedgerEntry> history = _ledger?.ForBlock(key) ?? [];
            int tier = e < 0 ? -1 : _table.Tier[e];
            long session = e >= 0 ? _table.Session[e] : history.Count > 0 ? history[^1].Session : 0;
            WorkloadLabels labels = e >= 0 ? _table.Labels[e] : history.Count > 0 ? history[^1].Labels : default;
            return new BlockExplanation
            {
                Key = key,
                Tier = tier,
                TierName = tier >= 0 ? _tiers[tier].Profile.Name : null,
                Session = session,
                Labels = labels,
                History = history,
                HistoryComplete = _ledger is null || _ledger.Dropped == 0,
                TierNames = [.. _tiers.Select(t => t.Profile.Name)],
            };
        }
    }
}
