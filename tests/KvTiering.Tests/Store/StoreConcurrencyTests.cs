using System.Buffers.Binary;
using KvTiering.Blocks;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class StoreConcurrencyTests
{
    /// <summary>A payload derived from the key alone, so any reader can check every byte it gets back.</summary>
    private static void Fill(int id, Span<byte> payload)
    {
        for (int i = 0; i < payload.Length; i += 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(payload[i..], (id * 7919) ^ (i * 31));
        }
    }

    [Fact]
    public void Concurrent_puts_gets_and_removes_never_return_torn_or_foreign_bytes()
    {
        using var store = Create(16, 32, 64);
        const int KeySpace = 400;
        const int Threads = 4;
        const int Operations = 20_000;
        long hits = 0;
        long checkedBytes = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, worker =>
        {
            var rng = new Random(worker);
            var payload = new byte[128];
            var buffer = new byte[128];
            var expected = new byte[128];
            for (int op = 0; op < Operations; op++)
            {
                int id = rng.Next(KeySpace);
                BlockKey key = Key(id);
                int choice = rng.Next(10);
                if (choice < 5)
                {
                    Fill(id, payload);
                    store.Put(key, id == 0 ? BlockKey.Empty : Key(id - 1), payload);
                }
                else if (choice < 9)
                {
                    if (store.TryGet(key, buffer, out int written))
                    {
                        Fill(id, expected);
                        if (written != 128 || !buffer.AsSpan().SequenceEqual(expected))
                        {
                            failures.Enqueue($"key {id}: wrong bytes (length {written})");
                        }

                        Interlocked.Increment(ref hits);
                        Interlocked.Add(ref checkedBytes, written);
                    }
                }
                else
                {
                    store.Remove(key);
                }
            }
        });

        Assert.Empty(failures);
        Assert.True(hits > 1000, $"only {hits} hits: the test did not exercise reads");
        Assert.True(store.Count <= 16 + 32 + 64);
        var stats = store.GetStatistics();
        Assert.True(stats.Tiers[0].Demotions > 0 && stats.Tiers[1].Promotions + stats.Tiers[2].Promotions > 0);
    }
}
