using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class S3FifoPolicyTests
{
    [Fact]
    public void A_scan_of_one_hit_wonders_does_not_flush_reused_blocks()
    {
        using TieredKvStore s3 = CreateMetadata(EvictionPolicies.S3Fifo, 20);
        using TieredKvStore lru = CreateMetadata(EvictionPolicy.Lru, 20);
        foreach (TieredKvStore store in new[] { s3, lru })
        {
            for (int i = 0; i < 10; i++)
            {
                Put(store, i);
            }

            for (int i = 0; i < 10; i++)
            {
                Put(store, i); // one hit each
            }

            for (int i = 100; i < 150; i++)
            {
                Put(store, i); // 50 blocks seen once
            }
        }

        for (int i = 0; i < 10; i++)
        {
            Assert.True(s3.Contains(Key(i)), $"S3-FIFO lost reused block {i}");
            Assert.False(lru.Contains(Key(i)));
        }
    }

    [Fact]
    public void A_block_back_from_the_ghost_goes_to_main_and_outlives_the_small_queue()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.S3Fifo, 10);
        for (int i = 0; i < 10; i++)
        {
            Put(store, i);
        }

        Put(store, 10);                      // 0 leaves the small queue unhit: its key becomes a ghost
        Assert.False(store.Contains(Key(0)));
        Assert.Equal(PutResult.Stored, Put(store, 0)); // ghost hit: straight into main
        for (int i = 100; i < 130; i++)
        {
            Put(store, i);
        }

        Assert.True(store.Contains(Key(0)));
        for (int i = 1; i <= 10; i++)
        {
            Assert.False(store.Contains(Key(i)), $"block {i} should have left through the small queue");
        }
    }

    [Fact]
    public void Main_queue_gives_a_hit_block_another_round()
    {
        // Capacity 10: the small queue holds 1 block, main 9.
        using TieredKvStore store = CreateMetadata(EvictionPolicies.S3Fifo, 10);
        for (int i = 0; i < 10; i++)
        {
            Put(store, i);
            Put(store, i); // hit in small: each moves to main when it reaches the small queue's end
        }

        Put(store, 10); // 0..9 move to main with their counts reset; 0, main's oldest, goes
        Assert.False(store.Contains(Key(0)));
        Put(store, 5);  // a hit in main
        for (int k = 11; k <= 15; k++)
        {
            Put(store, k - 1); // the small queue's block is hit, so it too moves to main ...
            Put(store, k);     // ... and main's oldest goes: 1, 2, 3, 4, then 5 goes round and 6 goes
        }

        Assert.Equal(
            [false, false, false, false, false, true, false, true, true, true, true, true, true, true, true, true],
            Resident(store, 16));
    }
}
