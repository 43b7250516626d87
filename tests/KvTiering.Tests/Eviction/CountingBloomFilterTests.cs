using KvTiering.Blocks;
using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class CountingBloomFilterTests
{
    [Fact]
    public void Sized_as_libcachesim_sizes_it_at_a_tenth_of_a_percent_error()
    {
        // minimalIncrementCBF_init(entries, 0.001): 14.38 counters per entry, rounded up; ⌈ln 2 × 14.38⌉ = 10 hashes.
        Assert.Equal(10, new CountingBloomFilter(5).Hashes);
        Assert.Equal(72, new CountingBloomFilter(5).Length);
        Assert.Equal(1424, new CountingBloomFilter(99).Length);
        Assert.Equal(20, new CountingBloomFilter(0).Length); // fewer counters than hashes: twice the hashes
        Assert.Equal(15, new CountingBloomFilter(1).Length);
    }

    [Fact]
    public void Hashes_an_id_as_libcachesim_does()
    {
        // XXH64 of the 8-byte id 1528 with seeds 0x12345678 and 0x12344321 is 11508822739885674635 and
        // 2278054015597844323 (libCacheSim's xxhash.h, compiled and run); their low 32 bits index the counters.
        Assert.Equal((970117259u, 3135018851u), CountingBloomFilter.Hash(new BlockKey(1528, 0xABCDEFUL)));
    }

    [Fact]
    public void Counts_without_saturating_and_halves_on_decay()
    {
        var filter = new CountingBloomFilter(1000);
        var hot = new BlockKey(1, 0);
        var cold = new BlockKey(2, 0);
        for (int i = 0; i < 40; i++)
        {
            filter.Add(hot);
        }

        filter.Add(cold);
        Assert.Equal(40u, filter.Estimate(hot)); // 32-bit counters: no cap at 15 as in the 4-bit sketch
        Assert.Equal(1u, filter.Estimate(cold));
        Assert.Equal(0u, filter.Estimate(new BlockKey(3, 0)));

        filter.Decay();
        Assert.Equal(20u, filter.Estimate(hot));
        Assert.Equal(0u, filter.Estimate(cold)); // 1 >> 1
    }
}
