using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class FifoPolicyTests
{
    [Fact]
    public void Access_does_not_save_the_oldest_block()
    {
        using TieredKvStore fifo = CreateMetadata(EvictionPolicies.Fifo, 3);
        using TieredKvStore lru = CreateMetadata(EvictionPolicy.Lru, 3);
        foreach (TieredKvStore store in new[] { fifo, lru })
        {
            Put(store, 0);
            Put(store, 1);
            Put(store, 2);
            Assert.Equal(PutResult.AlreadyPresent, Put(store, 0));
            Put(store, 3);
        }

        Assert.Equal([false, true, true, true], Resident(fifo, 4));
        Assert.Equal([true, false, true, true], Resident(lru, 4));
    }

    [Fact]
    public void Victims_leave_in_insertion_order_passing_pinned_blocks()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Fifo, 4);
        for (int i = 0; i < 4; i++)
        {
            Put(store, i);
        }

        Assert.True(store.Pin(Key(0)));
        Put(store, 4);
        Put(store, 5);
        Assert.Equal([true, false, false, true, true, true], Resident(store, 6));
    }
}
