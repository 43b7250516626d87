using KvTiering.Blocks;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>Where a block is and the ledger lines that put it there (<see cref="TieredKvStore.Explain"/>).</summary>
internal static class BlockExplainer
{
    /// <summary>Explains <paramref name="key"/>. Call under the store's lock; allocates (a diagnostic, not the serving path).</summary>
    public static BlockExplanation Explain(BlockTable table, Tier[] tiers, PlacementLedger? ledger, in BlockKey key)
    {
        int e = table.Find(key);
        IReadOnlyList<LedgerEntry> history = ledger?.ForBlock(key) ?? [];
        int tier = e < 0 ? -1 : table.Tier[e];
        long session = e >= 0 ? table.Session[e] : history.Count > 0 ? history[^1].Session : 0;
        WorkloadLabels labels = e >= 0 ? table.Labels[e] : history.Count > 0 ? history[^1].Labels : default;
        return new BlockExplanation
        {
            Key = key,
            Tier = tier,
            TierName = tier >= 0 ? tiers[tier].Profile.Name : null,
            Session = session,
            Labels = labels,
            History = history,
            HistoryComplete = ledger is null || ledger.Dropped == 0,
            TierNames = [.. tiers.Select(t => t.Profile.Name)],
        };
    }
}
