using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class LruTailFirstPolicyTests
{
    [Fact]
    public void A_requests_tail_goes_before_its_head()
    {
        using TieredKvStore tailFirst = CreateMetadata(EvictionPolicies.LruTailFirst, 4);
        using TieredKvStore lru = CreateMetadata(EvictionPolicy.Lru, 4);
        foreach (TieredKvStore store in new[] { tailFirst, lru })
        {
            Request(store, 1, 0, 1, 2); // blocks 0 → 1 → 2, depths 0..2
            Request(store, 2, 3);
            Request(store, 3, 4);
        }

        // Tail-first gives up block 2, the request's tail; LRU gives up block 0, its head.
        Assert.Equal([true, true, false, true, true], Resident(tailFirst, 5));
        Assert.Equal([false, true, true, true, true], Resident(lru, 5));

        Request(tailFirst, 4, 5);
        Assert.Equal([true, false, false, true, true, true], Resident(tailFirst, 6));
    }

    [Fact]
    public void A_request_longer_than_the_tier_keeps_its_head()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.LruTailFirst, 3);
        Request(store, 1, 0, 1, 2, 3, 4);

        // Each new block goes behind the deepest survivor of its burst, so the burst's own tail is what goes.
        Assert.Equal([true, true, false, false, true], Resident(store, 5));
    }

    [Fact]
    public void A_repeated_request_is_reordered_head_first_again()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.LruTailFirst, 5);
        Request(store, 1, 0, 1, 2);
        Request(store, 2, 3, 4);
        Assert.Equal(3, Request(store, 1, 0, 1, 2)); // all hits: request 1 is now the most recent burst
        Request(store, 3, 5);
        Request(store, 3, 6);

        // Request 2 was the older burst and goes first, tail (4) before head (3).
        Assert.Equal([true, true, true, false, false, true, true], Resident(store, 7));
    }
}
