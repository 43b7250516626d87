using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A promotion into a tier whose device says it cannot take a write now (<see cref="KvTiering.Devices.IWriteAvailability"/>,
/// a remote tier above another tier whose server is down) is optional: the block stays where it is, counted in the
/// target's <see cref="TierStatistics.UnreachableWrites"/>, and nothing is moved out of the target for it. Before
/// polish30 every promotion path (a hit's, a re-put's, a prefetch's) made room there first: the victims' reads from the
/// down device failed and both of the remote's blocks were dropped; the hit and the prefetch then wrote to the device
/// and failed, counted as a write failure.
/// </summary>
public sealed class UnavailablePromotionTests
{
    private const int Below = 7; // the block that lands in the host tier while the remote is down

    /// <summary>
    /// DRAM whose policy declines every put over the switched remote (2 slots, written behind) over a host tier; one
    /// tier up per hit. Without <paramref name="dram"/>, the remote is the top tier (a prefetch promotes to the top).
    /// </summary>
    private static TieredKvStore Create(SwitchedDevice remote, PlacementLedger? ledger = null, bool dram = true)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 4, Promotion = PromotionMode.OneLevel, Ledger = ledger };
        if (dram)
        {
            options.Tiers.Add(new TierOptions(Profile("dram"), 2)
            {
                Policy = EvictionPolicy.Create("bypassing", () => new BypassingPolicy { Bypass = true }),
            });
        }

        options.Tiers.Add(new TierOptions(Profile("remote", KvTiering.Tiers.TierKind.Flash), remote.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => remote,
            WriteBehind = true,
        });
        options.Tiers.Add(new TierOptions(Profile("host"), 8) { Policy = EvictionPolicy.Lru });
        return new TieredKvStore(options);
    }

    /// <summary>Fills the remote with blocks 0 and 1 while it is up, takes it down, and puts <see cref="Below"/>, which passes it over to the host tier.</summary>
    private static void Arrange(TieredKvStore store, SwitchedDevice remote, int at = 1)
    {
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1)));
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal((2, 2), (remote.Writes, store.GetStatistics().Tiers[at].ResidentBlocks)); // full
        remote.Down = true;
        Assert.Equal(PutResult.Stored, store.Put(Key(Below), BlockKey.Empty, Payload(Below)));
        Assert.Equal(1, store.GetStatistics().Tiers[at + 1].Inserts);
    }

    /// <summary>
    /// Each of <paramref name="promotions"/> promotions into the remote (tier <paramref name="at"/>) was passed over:
    /// counted, no write tried, no victim moved out of the remote.
    /// </summary>
    private static void AssertPassedOver(TieredKvStore store, SwitchedDevice remote, int promotions, int at = 1)
    {
        IReadOnlyList<TierStatistics> tiers = store.GetStatistics().Tiers;
        // main: UnreachableWrites 1 (the put only), a failed write (hit, prefetch), and blocks 0 and 1 dropped
        Assert.Equal((1L + promotions, 1L + promotions, 0L), (tiers[at].UnreachableWrites, tiers[at].Rejections, tiers[at].WriteFailures));
        Assert.Equal((0L, 0L), (tiers[at].Demotions, tiers[at + 1].Promotions));
        Assert.Equal((2, 0), (remote.Writes, remote.FailedWrites));
        Assert.True(store.Contains(Key(0)) && store.Contains(Key(1)), "the remote's blocks stay");
        Assert.Empty(remote.Violations);
    }

    private static void AssertReads(TieredKvStore store, int block, int tier)
    {
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(block), buffer, out int written, out int from), $"block {block} readable");
        Assert.Equal(tier, from);
        Assert.Equal(Payload(block), buffer[..written]);
    }

    [Fact]
    public void A_hit_below_a_down_tier_stays_where_it_is_and_moves_up_once_the_tier_is_back()
    {
        var remote = new SwitchedDevice(2, TinyLayout.BytesPerBlock);
        var ledger = new PlacementLedger(64);
        using TieredKvStore store = Create(remote, ledger);
        Arrange(store, remote);

        AssertReads(store, Below, tier: 2);
        AssertReads(store, Below, tier: 2);

        AssertPassedOver(store, remote, promotions: 2);
        Assert.Equal(2, ledger.Snapshot().Count(e => e is { Action: PlacementAction.Reject, Reason: PlacementReason.DeviceUnreachable, FromTier: 2, ToTier: 1 }));

        remote.Down = false;
        AssertReads(store, Below, tier: 2); // promoted by this hit
        WaitFor(() => store.WriteBehindPending == 0);
        AssertReads(store, Below, tier: 1);
        Assert.Equal((1L, 0L), (store.GetStatistics().Tiers[2].Promotions, store.GetStatistics().Tiers[1].WriteFailures));
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task An_awaited_hit_below_a_down_tier_stays_where_it_is()
    {
        var remote = new SwitchedDevice(2, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(remote);
        Arrange(store, remote);

        BlockRead read = await store.TryGetAsync(Key(Below), new byte[128]);

        Assert.Equal((true, 2), (read.Found, read.Tier));
        AssertPassedOver(store, remote, promotions: 1);
    }

    [Fact]
    public void A_put_of_a_block_resident_below_a_down_tier_does_not_promote_it()
    {
        var remote = new SwitchedDevice(2, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(remote);
        Arrange(store, remote);

        // A resident block's put is an access that promotes it under the lock, from the put's own bytes.
        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(Below), BlockKey.Empty, Payload(Below)));

        AssertPassedOver(store, remote, promotions: 1);
        AssertReads(store, Below, tier: 2);
    }

    [Fact]
    public async Task A_prefetch_below_a_down_tier_reads_nothing_and_moves_nothing()
    {
        var remote = new SwitchedDevice(2, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(remote, dram: false); // a prefetch promotes to the top: the remote
        Arrange(store, remote, at: 0);
        long read = store.GetStatistics().Tiers[1].BytesRead;

        Assert.Equal(0, await store.PrefetchAsync(new[] { Key(Below) }));

        AssertPassedOver(store, remote, promotions: 1, at: 0);
        Assert.Equal(read, store.GetStatistics().Tiers[1].BytesRead); // main: read for a promotion that then failed
        AssertReads(store, Below, tier: 1);
    }
}
