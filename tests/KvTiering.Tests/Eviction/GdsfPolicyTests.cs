using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class GdsfPolicyTests
{
    [Fact]
    public void At_equal_frequency_deep_blocks_outlive_shallow_ones()
    {
        using TieredKvStore gdsf = CreateMetadata(EvictionPolicies.Gdsf, 4);
        using TieredKvStore lru = CreateMetadata(EvictionPolicy.Lru, 4);
        foreach (TieredKvStore store in new[] { gdsf, lru })
        {
            Put(store, 0, depth: 5); // H = 6
            Put(store, 1, depth: 0); // H = 1
            Put(store, 2, depth: 3); // H = 4
            Put(store, 3, depth: 1); // H = 2
            Put(store, 4, depth: 4); // 1 goes (H 1); L = 1, so 4 gets H = 1 + 5 = 6
            Put(store, 5, depth: 2); // 3 goes (H 2); L = 2, 5 gets H = 5
        }

        Assert.Equal([true, false, true, false, true, true], Resident(gdsf, 6));
        Assert.Equal([false, false, true, true, true, true], Resident(lru, 6));
    }

    [Fact]
    public void Frequency_multiplies_the_cost()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Gdsf, 2);
        Put(store, 0, depth: 1); // H = 2
        Put(store, 1, depth: 2); // H = 3
        Put(store, 0, depth: 1);
        Put(store, 0, depth: 1); // frequency 3: H = 6
        Put(store, 2, depth: 0); // 1 goes, though it is deeper and more recent than 0

        Assert.Equal([true, false, true], Resident(store, 3));
    }

    [Fact]
    public void Inflation_ages_blocks_that_are_no_longer_used()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Gdsf, 2);
        Put(store, 0, depth: 5); // H = 6, never touched again
        int i = 1;
        for (; i < 20 && store.Contains(Key(0)); i++)
        {
            Put(store, i, depth: 0); // each newcomer lands at L + 1, and L climbs with every victim
        }

        Assert.False(store.Contains(Key(0)));
        Assert.InRange(i, 7, 9); // it takes until L reaches about 6
    }
}
