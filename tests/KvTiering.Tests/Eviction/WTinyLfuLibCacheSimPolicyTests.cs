using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class WTinyLfuLibCacheSimPolicyTests
{
    private static readonly EvictionPolicy s_policy = EvictionPolicy.Create("wtinylfu-lcs", static () => new WTinyLfuLibCacheSimPolicy(0.2));

    [Fact]
    public void A_window_winner_evicts_two_blocks_and_the_second_leaves_at_the_next_insert()
    {
        // Six blocks: window 1, probation 1, protected 4. Objects are numbered from 1 as libCacheSim numbers a txt
        // trace's ids, so the sketch hashes the same ids (Key(i) has low word i + 1).
        using TieredKvStore store = CreateMetadata(s_policy, 6);
        void Ref(int id) => Put(store, id - 1);
        bool Has(int id) => store.Contains(Key(id - 1));

        for (int id = 1; id <= 7; id++)
        {
            Ref(id);
        }

        // 7's eviction moved 1 into probation and 2..5 into protected (lowest segment with room), each counted again
        // (2); then 6 (1) lost to probation's 1 (2) and left.
        Assert.False(Has(6));
        Assert.True(Has(1) && Has(2) && Has(5) && Has(7));

        Ref(6); // 7 (1) loses to 1 (2) and leaves; 6 re-enters the window, its count now 3
        Assert.False(Has(7));
        Ref(8); // 6 (3) beats 1 (2): 1 leaves, 6 enters probation; the window is then empty, so probation's oldest, 6,
                // leaves too. The store evicts one block per insert: 6 now, 1 at the next.
        Assert.False(Has(6));
        Assert.True(Has(1));
        Ref(9);
        Assert.False(Has(1));
        Assert.True(Has(2) && Has(3) && Has(4) && Has(5) && Has(8) && Has(9));
    }

    [Fact]
    public void Random_operations_with_pins_keep_the_store_invariants()
    {
        // Pending victims must never be pinned ones, nor keep a tier over its capacity (AllPoliciesTests' contract).
        AllPoliciesTests.RunRandomOperations("wtinylfu-lcs", [16], seed: 1, s_policy);
        AllPoliciesTests.RunRandomOperations("wtinylfu-lcs", [4, 8, 16], seed: 2, s_policy);
        AllPoliciesTests.RunRandomOperations("wtinylfu-lcs", [12], seed: 3, EvictionPolicy.Create("wtinylfu-lcs-0.5", static () => new WTinyLfuLibCacheSimPolicy(0.5)));
    }

    [Fact]
    public void Window_hits_are_not_counted()
    {
        // libCacheSim counts main hits only: a newcomer hit three times in the window still loses a tie-free duel
        // against a main block seen twice (Caffeine's W-TinyLFU would admit it: see WTinyLfuPolicyTests).
        using TieredKvStore store = CreateMetadata(s_policy, 6);
        for (int i = 0; i < 6; i++)
        {
            Put(store, i);
        }

        Put(store, 6); // 0 to probation, 1..4 to protected (each 2); 5 (1) loses and leaves
        Put(store, 6);
        Put(store, 6);
        Put(store, 6); // three window hits: 6 stays at 1
        Put(store, 7); // 6 (1) against 0 (2): 6 leaves
        Assert.False(store.Contains(Key(6)));
        Assert.True(store.Contains(Key(0)));
    }
}
