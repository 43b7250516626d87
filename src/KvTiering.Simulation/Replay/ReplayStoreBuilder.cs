using KvTiering.Placement;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Simulation.Replay;

/// <summary>Builds the metadata-only <see cref="TieredKvStore"/> a replay runs against, from its options.</summary>
internal static class ReplayStoreBuilder
{
    /// <summary>The metadata-only store of one replay; <paramref name="capacity"/> is its capacity in blocks, all tiers together.</summary>
    public static TieredKvStore Build(ReplayOptions options, int blockTokens, ReplayClock clock, out int capacity)
    {
        var storeOptions = new KvStoreOptions
        {
            TimeProvider = clock,
            MetadataOnly = true,
            Promotion = options.Promotion,
            Layout = options.Model?.Layout(blockTokens),
            Ledger = options.Ledger,
            DropDeadVictims = options.DropDeadVictims,
            TellDemotions = options.TellDemotions,
            TellRequests = options.TellRequests,
        };
        if (options.Routing is { } routing)
        {
            Cost.CostModel? cost = options.Model is { } model
                ? new Cost.CostModel(model, options.Accelerator ?? Cost.AcceleratorProfiles.H100Sxm)
                : null;
            storeOptions.Router = new PlacementRouter(cost, blockTokens, routing);
        }

        capacity = 0;
        if (options.Tiers.Count == 0)
        {
            if (options.CapacityBlocks < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(options), options.CapacityBlocks,
                    $"Capacity {options.CapacityBlocks} blocks is below one block.");
            }

            storeOptions.Tiers.Add(new TierOptions(SingleTierProfile, options.CapacityBlocks) { Policy = options.Policy });
            capacity = options.CapacityBlocks;
        }
        else
        {
            foreach (TierSpec spec in options.Tiers)
            {
                storeOptions.Tiers.Add(new TierOptions(spec.Profile, spec.CapacityBlocks) { Policy = options.Policy });
                capacity += spec.CapacityBlocks;
            }
        }

        return new TieredKvStore(storeOptions);
    }

    /// <summary>The profile of a plain single-tier replay, where only hit rates matter.</summary>
    private static TierProfile SingleTierProfile { get; } =
        new("cache", TierKind.Dram, 1e12, 1e12, TimeSpan.Zero, 0, 0);
}
