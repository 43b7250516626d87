using KvTiering.Blocks;
using KvTiering.Cost;
using KvTiering.Eviction;
using KvTiering.Placement;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Tests.Placement;

/// <summary>Metadata-only stores of Llama 3.1 8B blocks over real tier profiles, with a router and a ledger.</summary>
internal static class PlacementTestKit
{
    public static readonly WorkloadLabels Batch = new(latency: LatencyClass.Batch);
    public static readonly WorkloadLabels Interactive = new(latency: LatencyClass.Interactive);

    public static PlacementRouter Router(int tokensPerBlock, AcceleratorProfile? accelerator = null, PlacementRouterOptions? options = null) =>
        new(new CostModel(ModelPresets.Llama31_8B, accelerator ?? AcceleratorProfiles.H100Sxm), tokensPerBlock, options);

    public static TieredKvStore NewStore(int tokensPerBlock, (TierProfile Profile, int Capacity)[] tiers, PlacementRouter? router,
        PlacementLedger? ledger = null, EvictionPolicy? policy = null)
    {
        var options = new KvStoreOptions
        {
            MetadataOnly = true,
            Layout = ModelPresets.Llama31_8B.Layout(tokensPerBlock),
            Router = router,
            Ledger = ledger,
        };
        foreach ((TierProfile profile, int capacity) in tiers)
        {
            options.Tiers.Add(new TierOptions(profile, capacity) { Policy = policy ?? EvictionPolicy.Lru });
        }

        return new TieredKvStore(options);
    }

    public static BlockKey Key(int i) => new((ulong)i + 1, 0x5EEDUL);

    public static PutResult Put(TieredKvStore store, int i, int depth, WorkloadLabels labels, long session = 1) =>
        store.Put(Key(i), BlockKey.Empty, default, new BlockContext(depth, session) { Labels = labels });

    public static bool Get(TieredKvStore store, int i, out int tier) => store.TryGet(Key(i), default, out _, out tier);
}
