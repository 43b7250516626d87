using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using KvTiering.Tiers;
using Xunit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// Four threads put, get, remove, pin and prefetch the same keys while blocks demote and promote across two DRAM tiers
/// and a flash tier; every byte that comes back is checked against the key's payload.
/// </summary>
public sealed class StoreStressTests : IDisposable
{
    private const int Keys = 96;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private TieredKvStore CreateStore()
    {
        var options = new KvStoreOptions { Layout = TinyLayout, MaxPinnedFraction = 0.5 };
        options.Tiers.Add(new TierOptions(Profile("dram"), 8) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("dram2"), 16) { Policy = EvictionPolicies.Clock });
        options.Tiers.Add(new TierOptions(Profile("flash", TierKind.Flash), 48)
        {
            Policy = EvictionPolicy.Lru,
            Directory = _temp.Sub("flash"),
        });
        return new TieredKvStore(options);
    }

    [Fact]
    public async Task Four_threads_on_the_same_keys_never_see_wrong_bytes_and_leave_a_consistent_store()
    {
        using TieredKvStore store = CreateStore();
        var failures = new List<string>();
        long hits = 0;
        Task[] workers = [.. Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var rng = new Random(1000 + w);
            var buffer = new byte[store.BlockBytes];
            var prefix = new BlockKey[6];
            for (int op = 0; op < 4000; op++)
            {
                int k = rng.Next(Keys);
                switch (rng.Next(10))
                {
                    case < 4:
                        store.Put(Key(k), k == 0 ? BlockKey.Empty : Key(k - 1), Payload(k));
                        break;
                    case < 7:
                        if (store.TryGet(Key(k), buffer, out int written, out _))
                        {
                            Interlocked.Increment(ref hits);
                            if (!buffer.AsSpan(0, written).SequenceEqual(Payload(k)))
                            {
                                lock (failures)
                                {
                                    failures.Add($"wrong bytes for key {k}");
                                }
                            }
                        }

                        break;
                    case 7:
                        store.Remove(Key(k));
                        break;
                    case 8:
                        if (store.Pin(Key(k)))
                        {
                            // Another thread may have removed it meanwhile (Remove drops pinned blocks): then false.
                            store.Unpin(Key(k));
                        }

                        break;
                    default:
                        for (int i = 0; i < prefix.Length; i++)
                        {
                            prefix[i] = Key((k + i) % Keys);
                        }

                        await store.PrefetchAsync(prefix);
                        break;
                }
            }
        }))];
        await Task.WhenAll(workers);

        Assert.Empty(failures);
        Assert.True(hits > 0);
        int resident = 0;
        var bytes = new byte[store.BlockBytes];
        for (int k = 0; k < Keys; k++)
        {
            if (store.TierOf(Key(k)) < 0)
            {
                continue;
            }

            resident++;
            Assert.False(store.IsPinned(Key(k)));
            Assert.True(store.TryGet(Key(k), bytes, out int written));
            Assert.Equal(Payload(k), bytes.AsSpan(0, written).ToArray());
        }

        Assert.Equal(resident, store.Count);
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(resident, stats.ResidentBlocks);
        Assert.Equal(0, stats.Tiers.Sum(t => t.ChecksumFailures));
    }
}
