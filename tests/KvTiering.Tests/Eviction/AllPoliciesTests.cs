using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>Contracts every registered policy keeps, driven through the store.</summary>
public sealed class AllPoliciesTests
{
    public static TheoryData<string> PolicyNames => [.. EvictionPolicies.Names];

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public void Random_operations_keep_the_store_invariants_in_one_tier(string name) =>
        RunRandomOperations(name, [16], seed: 1);

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public void Random_operations_keep_the_store_invariants_across_three_tiers(string name) =>
        RunRandomOperations(name, [4, 8, 16], seed: 2);

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public void No_allocation_per_call_in_steady_state(string name)
    {
        EvictionPolicy policy = EvictionPolicies.FromName(name);
        using TieredKvStore store = CreateMetadata(policy, 512, 1024);
        var keys = new BlockKey[4096];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = Key(i);
        }

        var rng = new Random(3);
        RunPuts(store, keys, rng, 20_000); // warm up: fill, evict, promote, JIT
        // The runtime may still be re-JITting hot methods (tiered compilation) during a round and charge this thread;
        // the steady state is the quietest of three rounds.
        long allocated = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            RunPuts(store, keys, rng, 10_000);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        // Any per-call allocation would be at least 24 bytes × 10,000; allow a little for one-off runtime noise.
        Assert.True(allocated < 1024, $"{name}: {allocated} bytes allocated over 10,000 puts");
    }

    private static void RunPuts(TieredKvStore store, BlockKey[] keys, Random rng, int count)
    {
        for (int n = 0; n < count; n++)
        {
            // Skewed: half the puts reuse the first eighth of the keys, so there are hits as well as evictions.
            int i = rng.Next(2) == 0 ? rng.Next(keys.Length / 8) : rng.Next(keys.Length);
            BlockKey parent = i % 8 == 0 ? BlockKey.Empty : keys[i - 1];
            store.Put(keys[i], parent, default, new BlockContext(i % 8, 1 + (i / 8), n + 1 + rng.Next(5000)));
        }
    }

    /// <summary>Random puts, gets, removes, pins and unpins; <paramref name="policy"/> defaults to the one named.</summary>
    internal static void RunRandomOperations(string name, int[] capacities, int seed, EvictionPolicy? policy = null)
    {
        policy ??= EvictionPolicies.FromName(name);
        using TieredKvStore store = CreateMetadata(policy, capacities);
        bool admitsAll = name is not ("belady" or "agent"); // both decline (bypass) by design
        const int Universe = 96;
        var pins = new int[Universe];
        var rng = new Random(seed);
        for (int step = 0; step < 4000; step++)
        {
            int i = rng.Next(Universe);
            BlockKey key = Key(i);
            int op = rng.Next(100);
            if (op < 55)
            {
                BlockKey parent = i % 6 == 0 ? BlockKey.Empty : Key(i - 1);
                long nextUse = rng.Next(4) == 0 ? long.MaxValue : step + rng.Next(1, 500);
                PutResult result = store.Put(key, parent, default, new BlockContext(i % 6, 1 + (i / 6), nextUse));
                Assert.True(result != PutResult.Rejected || !admitsAll, $"{name} found no victim at step {step}");
            }
            else if (op < 75)
            {
                store.TryGet(key, Span<byte>.Empty, out _);
            }
            else if (op < 83)
            {
                if (store.Remove(key))
                {
                    pins[i] = 0;
                }
            }
            else if (op < 92)
            {
                if (store.Pin(key))
                {
                    pins[i]++;
                }
            }
            else if (pins[i] > 0)
            {
                Assert.True(store.Unpin(key));
                pins[i]--;
            }

            StoreStatistics stats = store.GetStatistics();
            int total = 0;
            for (int t = 0; t < capacities.Length; t++)
            {
                Assert.InRange(stats.Tiers[t].ResidentBlocks, 0, capacities[t]);
                total += stats.Tiers[t].ResidentBlocks;
            }

            Assert.Equal(total, store.Count);
            for (int p = 0; p < Universe; p++)
            {
                if (pins[p] > 0)
                {
                    Assert.True(store.IsPinned(Key(p)), $"{name}: pinned block {p} was evicted at step {step}");
                }
            }
        }

        StoreStatistics final = store.GetStatistics();
        Assert.True(final.Tiers[0].Hits > 0, $"{name} never hit");
        Assert.True(final.Tiers[^1].Evictions > 0 || !admitsAll, $"{name} never evicted");
    }
}
