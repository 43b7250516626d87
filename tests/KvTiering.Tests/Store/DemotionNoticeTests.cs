using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A block demoted into a lower tier reaches a policy that declares <see cref="IKnowsDemotions"/> through
/// <see cref="IKnowsDemotions.OnDemotion"/>, by every path a demotion takes (a metadata store's move under the lock, a
/// payload store's copy outside it, write-behind into a slow tier); puts and promotions still reach it through
/// <see cref="IEvictionPolicy.OnInsert"/>; <see cref="KvStoreOptions.TellDemotions"/> off, or a policy without the
/// capability, sees every insert as before (docs/architecture.md, "Demotions are not requests").
/// </summary>
public sealed class DemotionNoticeTests
{
    private readonly List<DemotionLogPolicy> _policies = [];
    private bool _metadataOnly;

    private EvictionPolicy Policy(bool asStruct) => asStruct
        ? EvictionPolicy.Create("demotion-log-struct", () => new DemotionLogStruct(Track(new DemotionLogPolicy())))
        : EvictionPolicy.Create("demotion-log", () => Track(new DemotionLogPolicy()));

    private DemotionLogPolicy Track(DemotionLogPolicy policy)
    {
        _policies.Add(policy);
        return policy;
    }

    private List<string> LogOf(int tier) => _policies.Single(p => p.TierIndex == tier).Log;

    private TieredKvStore Store(EvictionPolicy policy, bool metadataOnly, bool tell = true, params int[] capacities)
    {
        _metadataOnly = metadataOnly;
        var options = new KvStoreOptions { Layout = metadataOnly ? null : TinyLayout, MetadataOnly = metadataOnly, TellDemotions = tell };
        for (int i = 0; i < capacities.Length; i++)
        {
            options.Tiers.Add(new TierOptions(Profile($"t{i}"), capacities[i]) { Policy = policy });
        }

        return new TieredKvStore(options);
    }

    private void Put(TieredKvStore store, int i) =>
        Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, _metadataOnly ? default : Payload(i), new BlockContext(0, i)));

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void A_demotion_reaches_the_lower_tiers_as_a_demotion_and_a_put_as_an_insert(bool metadataOnly, bool asStruct)
    {
        using TieredKvStore store = Store(Policy(asStruct), metadataOnly, tell: true, 2, 2, 8);
        for (int i = 0; i < 6; i++)
        {
            Put(store, i); // FIFO everywhere: 0 and 1 end in t2, 2 and 3 in t1, 4 and 5 in t0
        }

        Assert.Equal(["I0", "I1", "I2", "I3", "I4", "I5"], LogOf(0));
        Assert.Equal(["D0", "D1", "D2", "D3"], LogOf(1));
        Assert.Equal(["D0", "D1"], LogOf(2));
        Assert.Equal((2, 1, 0), (store.TierOf(Key(0)), store.TierOf(Key(2)), store.TierOf(Key(4))));
        Assert.Equal([false, true, true], _policies.OrderBy(p => p.TierIndex).Select(p => p.TellsDemotions));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_promotion_is_an_insert_above_and_its_victim_a_demotion_below(bool metadataOnly)
    {
        using TieredKvStore store = Store(Policy(asStruct: true), metadataOnly, tell: true, 2, 8);
        for (int i = 0; i < 3; i++)
        {
            Put(store, i); // 0 is demoted
        }

        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out _, out int tier)); // a hit below: promoted, and 1 demoted for it
        Assert.Equal(1, tier);
        Assert.Equal((0, 1), (store.TierOf(Key(0)), store.TierOf(Key(1))));
        Assert.Equal(["I0", "I1", "I2", "I0"], LogOf(0));
        Assert.Equal(["D0", "D1"], LogOf(1));
    }

    [Fact]
    public void A_demotion_written_behind_reaches_the_slow_tier_as_a_demotion()
    {
        var slow = new GatedDevice(16, TinyLayout.BytesPerBlock);
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 4, TellDemotions = true };
        EvictionPolicy policy = Policy(asStruct: true);
        options.Tiers.Add(new TierOptions(Profile("dram"), 2) { Policy = policy });
        options.Tiers.Add(new TierOptions(Profile("slow", KvTiering.Tiers.TierKind.Flash), slow.SlotCount)
        {
            Policy = policy,
            DeviceFactory = (_, _) => slow,
            WriteBehind = true,
        });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 5; i++)
        {
            Put(store, i);
        }

        WaitFor(() => slow.Writes >= 3);
        Assert.Equal(["D0", "D1", "D2"], LogOf(1));
        Assert.Empty(slow.Violations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void With_the_option_off_a_demotion_is_an_insert_as_before(bool metadataOnly)
    {
        using TieredKvStore store = Store(Policy(asStruct: false), metadataOnly, tell: false, 2, 8);
        for (int i = 0; i < 4; i++)
        {
            Put(store, i);
        }

        Assert.Equal(["I0", "I1"], LogOf(1));
        Assert.All(_policies, p => Assert.False(p.TellsDemotions));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_lower_lru_tier_keeps_demotion_order_with_the_option_on_or_off(bool metadataOnly)
    {
        // LRU does not declare the capability: the option changes nothing, and its lower tier gives blocks up in the
        // order they came down (the exclusive-cache order of Wong and Wilkes's DEMOTE).
        string Run(bool tell)
        {
            using TieredKvStore store = Store(EvictionPolicy.Lru, metadataOnly, tell, 2, 4);
            var trace = new List<string>();
            for (int i = 0; i < 12; i++)
            {
                Put(store, i);
                if (i % 3 == 0)
                {
                    store.TryGet(Key(i), new byte[128], out _, out _); // a hit keeps the newest on top
                }

                trace.Add(string.Join(',', Enumerable.Range(0, i + 1).Select(k => store.TierOf(Key(k)))));
            }

            return string.Join('|', trace);
        }

        string on = Run(tell: true);
        Assert.Equal(Run(tell: false), on);
        // At the end the lower tier holds the four blocks demoted last (6 to 9), the top tier the two put last.
        Assert.EndsWith("-1,-1,-1,-1,-1,-1,1,1,1,1,0,0", on);
    }
}
