using System.Buffers;
using System.Buffers.Binary;
using KvTiering.Caching;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Caching.CacheTestKit;

namespace KvTiering.Tests.Caching;

public sealed class DistributedCacheDurabilityTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Entries_flushed_to_flash_survive_a_restart_with_their_expiry()
    {
        string flash = _temp.Sub("flash");
        var time = new FakeTimeProvider();
        byte[] big = Value(20 * BlockBytes + 5, 1);
        using (TieredKvStore store = NewStore(memoryBlocks: 64, flashDirectory: flash, flushOnDispose: true))
        {
            KvTieringDistributedCache cache = NewCache(store, time);
            cache.Set("big", big, new DistributedCacheEntryOptions());
            cache.Set("small", [1, 2, 3], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) });
            Assert.Equal(0, store.GetStatistics().Tiers[1].ResidentBlocks);
        }

        using (TieredKvStore reopened = NewStore(memoryBlocks: 64, flashDirectory: flash))
        {
            Assert.Equal(21 + 1 + 1, reopened.Count);
            KvTieringDistributedCache cache = NewCache(reopened, time);
            Assert.Equal(big, cache.Get("big"));
            Assert.Equal([1, 2, 3], cache.Get("small"));
            time.Advance(TimeSpan.FromHours(1));
            Assert.Null(cache.Get("small"));
        }
    }

    [Fact]
    public void Without_a_flush_entries_still_in_memory_are_gone_after_a_restart()
    {
        string flash = _temp.Sub("flash");
        using (TieredKvStore store = NewStore(memoryBlocks: 64, flashDirectory: flash))
        {
            NewCache(store).Set("k", Value(3 * BlockBytes, 1), new DistributedCacheEntryOptions());
        }

        using TieredKvStore reopened = NewStore(memoryBlocks: 64, flashDirectory: flash);
        Assert.Null(NewCache(reopened).Get("k"));
    }

    [Fact]
    public void Entries_read_back_from_flash_after_demotion_are_intact()
    {
        using TieredKvStore store = NewStore(memoryBlocks: 8, flashDirectory: _temp.Sub("flash"), flashBlocks: 256);
        KvTieringDistributedCache cache = NewCache(store);
        var values = new List<byte[]>();
        for (int i = 0; i < 10; i++)
        {
            values.Add(Value(3 * BlockBytes + i, i));
            cache.Set($"k{i}", values[i], new DistributedCacheEntryOptions());
        }

        Assert.True(store.GetStatistics().Tiers[1].ResidentBlocks > 30);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(values[i], cache.Get($"k{i}"));
        }
    }

    /// <summary>
    /// Writers keep replacing a few keys with values whose every byte and whose length derive from one stamp; readers
    /// check each value they get is whole and of one stamp. A torn or mixed value would break the pattern.
    /// </summary>
    [Fact]
    public async Task Concurrent_writers_and_readers_never_see_a_torn_or_mixed_value()
    {
        using TieredKvStore store = NewStore(memoryBlocks: 400);
        KvTieringDistributedCache cache = NewCache(store, TimeProvider.System);
        string[] keys = ["a", "b", "c"];
        int hits = 0;
        int writersLeft = 3;
        const int Rounds = 150;

        Task[] writers = Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                int stamp = (w * Rounds) + i + 1;
                cache.Set(keys[i % keys.Length], Stamped(stamp), new DistributedCacheEntryOptions());
                if (i % 17 == 0)
                {
                    cache.Remove(keys[(i + 1) % keys.Length]);
                }
            }

            Interlocked.Decrement(ref writersLeft);
        })).ToArray();

        // Readers run until the (bounded) writers are done, then once more over every key.
        Task[] readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            var writer = new ArrayBufferWriter<byte>();
            for (int i = 0; Volatile.Read(ref writersLeft) > 0; i++)
            {
                Check(keys[(i + r) % keys.Length], i % 2 == 0);
            }

            foreach (string key in keys)
            {
                Check(key, r % 2 == 0);
            }

            void Check(string key, bool array)
            {
                byte[]? got = array ? cache.Get(key) : Read(cache, key, writer);
                if (got is not null)
                {
                    AssertWhole(got);
                    Interlocked.Increment(ref hits);
                }
            }
        })).ToArray();

        await Task.WhenAll([.. writers, .. readers]);
        Assert.True(hits >= 9, $"{hits} hits");
    }

    private static byte[]? Read(KvTieringDistributedCache cache, string key, ArrayBufferWriter<byte> writer)
    {
        writer.ResetWrittenCount();
        return cache.TryGet(key, writer) ? writer.WrittenSpan.ToArray() : null;
    }

    /// <summary>A value of 1 to 6 blocks: its stamp in the first four bytes, then bytes that follow from it.</summary>
    private static byte[] Stamped(int stamp)
    {
        var bytes = new byte[(stamp % 6 * BlockBytes) + 4 + (stamp % 97)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, stamp);
        for (int i = 4; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(stamp * 31 + i);
        }

        return bytes;
    }

    private static void AssertWhole(byte[] value)
    {
        int stamp = BinaryPrimitives.ReadInt32LittleEndian(value);
        Assert.Equal(Stamped(stamp), value);
    }
}
