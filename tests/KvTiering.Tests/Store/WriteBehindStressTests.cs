using System.Buffers.Binary;
using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class WriteBehindStressTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A payload derived from the key alone, so any reader can check every byte it gets back.</summary>
    private static void Fill(int id, Span<byte> payload)
    {
        for (int i = 0; i < payload.Length; i += 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(payload[i..], (id * 7919) ^ (i * 31));
        }
    }

    /// <summary>
    /// Four threads put, get, remove, pin and prefetch the same keys while blocks demote (through the write-behind
    /// queue) into a flash tier and promote out of it; every byte returned is checked, and the store reopens with only
    /// blocks that verify.
    /// </summary>
    [Fact]
    public async Task Four_threads_over_dram_and_a_written_behind_flash_tier_never_see_wrong_bytes()
    {
        string dir = _temp.Sub("flash");
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 4 };
        options.Tiers.Add(new TierOptions(Profile("dram"), 16) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("flash", KvTiering.Tiers.TierKind.Flash), 64)
        {
            Policy = EvictionPolicy.Lru,
            Directory = dir,
            WriteBehind = true,
        });
        const int KeySpace = 120;
        long hits = 0;
        var failures = new ConcurrentQueue<string>();
        using (var store = new TieredKvStore(options))
        {
            Task[] workers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
            {
                var rng = new Random(worker);
                var payload = new byte[128];
                var buffer = new byte[128];
                var expected = new byte[128];
                for (int op = 0; op < 6_000; op++)
                {
                    int id = rng.Next(KeySpace);
                    BlockKey key = Key(id);
                    switch (rng.Next(20))
                    {
                        case < 8:
                            Fill(id, payload);
                            store.Put(key, BlockKey.Empty, payload);
                            break;
                        case < 16:
                            if (store.TryGet(key, buffer, out int written))
                            {
                                Fill(id, expected);
                                if (written != 128 || !buffer.AsSpan().SequenceEqual(expected))
                                {
                                    failures.Enqueue($"key {id}: wrong bytes (length {written})");
                                }

                                Interlocked.Increment(ref hits);
                            }

                            break;
                        case 16:
                            store.Remove(key);
                            break;
                        case 17:
                            if (store.Pin(key))
                            {
                                store.Unpin(key);
                            }

                            break;
                        default:
                            BlockKey[] prefix = [Key(id), Key((id + 1) % KeySpace), Key((id + 2) % KeySpace)];
                            await store.PrefetchAsync(prefix);
                            break;
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers);

            Assert.Empty(failures);
            Assert.True(hits > 1000, $"only {hits} hits: the test did not exercise reads");
            StoreStatistics stats = store.GetStatistics();
            Assert.True(stats.Tiers[0].Demotions > 0 && stats.Tiers[1].Promotions > 0, "nothing moved between the tiers");
            Assert.Equal(stats.ResidentBlocks, stats.Tiers.Sum(t => t.ResidentBlocks));
            store.Flush();
        }

        using var reopened = new TieredKvStore(options);
        var check = new byte[128];
        var want = new byte[128];
        int recovered = 0;
        for (int id = 0; id < KeySpace; id++)
        {
            if (reopened.TryGet(Key(id), check, out int written))
            {
                Fill(id, want);
                Assert.True(written == 128 && check.AsSpan().SequenceEqual(want), $"key {id}: wrong bytes after reopen");
                recovered++;
            }
        }

        Assert.True(recovered > 0, "nothing survived the flush and reopen");
        Assert.Equal(0, reopened.GetStatistics().Tiers[1].ChecksumFailures);
    }
}
