using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Events;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class OfferRequestTests
{
    [Fact]
    public void Metadata_store_reports_the_prefix_at_arrival_then_admits_every_block()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicy.Lru, 8, 8);
        BlockKey[] first = [Key(1), Key(2), Key(3)];
        Span<int> perTier = stackalloc int[TieredKvStore.MaxTiers];

        RequestOutcome cold = store.OfferRequest(first, session: 7, prefixPerTier: perTier);
        Assert.Equal(new RequestOutcome(0, 0), cold);
        Assert.Equal(3, store.Count);

        BlockKey[] second = [Key(1), Key(2), Key(9), Key(3)];
        perTier.Clear();
        RequestOutcome warm = store.OfferRequest(second, session: 7, prefixPerTier: perTier);
        Assert.Equal(2, warm.PrefixBlocks); // 1, 2 resident; 9 breaks the prefix
        Assert.Equal(3, warm.ResidentBlocks); // 3 is resident past the break
        Assert.Equal(2, perTier[0]);
        Assert.Equal(4, store.Count);
    }

    [Fact]
    public void Payload_store_touches_resident_blocks_and_leaves_absent_ones_to_the_caller()
    {
        using TieredKvStore store = Create(4);
        store.Put(Key(1), BlockKey.Empty, Payload(1));

        RequestOutcome outcome = store.OfferRequest([Key(1), Key(2)], session: 1);

        Assert.Equal(new RequestOutcome(1, 1), outcome);
        Assert.Equal(1, store.Count);
        Assert.False(store.Contains(Key(2)));
    }

    [Fact]
    public void Offers_one_lookup_per_request_and_the_policy_order_of_a_put_sequence()
    {
        // A request offered as a whole leaves the same residents as the same blocks put one by one.
        using TieredKvStore offered = CreateMetadata(EvictionPolicy.Lru, 3);
        using TieredKvStore put = CreateMetadata(EvictionPolicy.Lru, 3);
        int[][] requests = [[1, 2, 3], [1, 4], [5, 1, 2]];
        foreach (int[] request in requests)
        {
            BlockKey[] keys = Array.ConvertAll(request, Key);
            offered.OfferRequest(keys, session: 0);
            BlockKey parent = BlockKey.Empty;
            foreach (BlockKey key in keys)
            {
                put.Put(key, parent, default);
                parent = key;
            }
        }

        for (int i = 1; i <= 5; i++)
        {
            Assert.Equal(put.Contains(Key(i)), offered.Contains(Key(i)));
        }
    }

    [Theory]
    [InlineData("lru")]
    [InlineData("fifo")]
    [InlineData("clock")]
    [InlineData("sieve")]
    [InlineData("arc")]
    [InlineData("s3fifo")]
    [InlineData("belady")]
    [InlineData("agent")]
    public void A_miss_nobody_listens_to_leaves_what_the_general_path_leaves(string name)
    {
        // The store with a subscriber takes the general put for every miss; the other, the replay's one-call eviction.
        EvictionPolicy policy = EvictionPolicies.FromName(name);
        var time = new FakeTimeProvider(); // one clock for both: the agent policy ages sessions by it
        using TieredKvStore quiet = OneTierStore(policy, time);
        using TieredKvStore heard = OneTierStore(policy, time);
        using KvEventSubscription events = heard.Events.Subscribe();
        var rng = new Random(7);
        for (int r = 0; r < 400; r++)
        {
            int session = rng.Next(6);
            int length = 1 + rng.Next(10);
            var keys = new BlockKey[length];
            var next = new int[length];
            for (int i = 0; i < length; i++)
            {
                // Some blocks repeat an earlier one of the same request: absent at arrival, resident by their turn.
                keys[i] = Key(1 + (session * 100) + (rng.Next(4) == 0 ? rng.Next(i + 1) : i));
                next[i] = rng.Next(4) == 0 ? int.MaxValue : r + rng.Next(50);
            }

            Assert.Equal(heard.OfferRequest(keys, session, nextUse: next), quiet.OfferRequest(keys, session, nextUse: next));
            time.Advance(TimeSpan.FromSeconds(rng.Next(5)));
        }

        StoreStatistics expected = heard.GetStatistics();
        StoreStatistics actual = quiet.GetStatistics();
        Assert.Equal(expected.Tiers, actual.Tiers);
        Assert.Equal(expected with { Tiers = [] }, actual with { Tiers = [] });
        Assert.True(actual.Tiers[0].Evictions > 100);
        for (int k = 1; k <= 600; k++)
        {
            Assert.Equal(heard.Contains(Key(k)), quiet.Contains(Key(k)));
        }
    }

    private static TieredKvStore OneTierStore(EvictionPolicy policy, TimeProvider time)
    {
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = time };
        options.Tiers.Add(new TierOptions(Profile("t0"), 16) { Policy = policy });
        return new TieredKvStore(options);
    }

    [Fact]
    public void The_clock_is_the_time_provider()
    {
        var time = new FakeTimeProvider();
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = time };
        options.Tiers.Add(new TierOptions(Profile("t0"), 4));
        using var store = new TieredKvStore(options);

        Assert.Equal(0, store.NowSeconds);
        time.Advance(TimeSpan.FromSeconds(12.5));
        Assert.Equal(12.5, store.NowSeconds, 9);
    }

    [Fact]
    public void Bad_input_names_the_value()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicy.Lru, 4);

        var empty = Assert.Throws<ArgumentException>(() => store.OfferRequest([Key(1), BlockKey.Empty], 0));
        Assert.Equal("keys", empty.ParamName);
        var next = Assert.Throws<ArgumentException>(() => store.OfferRequest([Key(1), Key(2)], 0, nextUse: [5]));
        Assert.Equal("nextUse", next.ParamName);
        Assert.Contains("1 entries for 2 keys", next.Message, StringComparison.Ordinal);
    }
}
