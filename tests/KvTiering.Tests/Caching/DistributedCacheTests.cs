using System.Buffers;
using System.Text;
using KvTiering.Caching;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Distributed;
using static KvTiering.Tests.Caching.CacheTestKit;

namespace KvTiering.Tests.Caching;

public sealed class DistributedCacheTests
{
    private static readonly DistributedCacheEntryOptions NoExpiry = new();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(959)]          // the largest value inline beside a 1-byte key in a 1 KiB block
    [InlineData(960)]          // the smallest chunked one
    [InlineData(BlockBytes)]
    [InlineData(3 * BlockBytes + 17)]
    [InlineData(50 * BlockBytes)]
    public void Values_of_every_size_come_back_byte_for_byte_through_both_faces(int length)
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        byte[] value = Value(length, seed: length);
        cache.Set("k", value, NoExpiry);

        Assert.Equal(value, cache.Get("k"));
        var writer = new ArrayBufferWriter<byte>();
        Assert.True(cache.TryGet("k", writer));
        Assert.Equal(value, writer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(100, 1)]
    [InlineData(959, 1)]
    [InlineData(960, 2)]
    [InlineData(3 * BlockBytes + 17, 5)]
    public void A_value_takes_one_manifest_block_plus_its_chunks(int length, int blocks)
    {
        using TieredKvStore store = NewStore();
        NewCache(store).Set("k", Value(length, 1), NoExpiry);
        Assert.Equal(blocks, store.Count);
        Assert.Equal(blocks > 1, !ReadManifest(store, "k").Inline);
    }

    [Fact]
    public void A_multi_segment_sequence_is_stored_as_its_concatenation()
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        byte[] value = Value(5 * BlockBytes + 3, 7);
        ReadOnlySequence<byte> sequence = Segments(value, 333);
        Assert.False(sequence.IsSingleSegment);

        cache.Set("k", sequence, NoExpiry);
        Assert.Equal(value, cache.Get("k"));
    }

    [Fact]
    public void Overwriting_a_key_returns_the_new_value_and_frees_the_old_chunks()
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        cache.Set("k", Value(10 * BlockBytes, 1), NoExpiry);
        byte[] second = Value(3 * BlockBytes, 2);
        cache.Set("k", second, NoExpiry);

        Assert.Equal(second, cache.Get("k"));
        Assert.Equal(1 + 3, store.Count);

        byte[] third = Value(12, 3);
        cache.Set("k", third, NoExpiry);
        Assert.Equal(third, cache.Get("k"));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Remove_takes_the_manifest_and_every_chunk_out_of_the_store()
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        cache.Set("big", Value(7 * BlockBytes, 1), NoExpiry);
        cache.Set("small", Value(10, 2), NoExpiry);

        cache.Remove("big");
        Assert.Null(cache.Get("big"));
        Assert.Equal(1, store.Count);
        Assert.NotNull(cache.Get("small"));
        cache.Remove("absent"); // no entry: nothing happens
    }

    [Fact]
    public void Keys_are_distinct_and_case_sensitive_and_unknown_keys_miss()
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        cache.Set("key", [1], NoExpiry);
        cache.Set("KEY", [2], NoExpiry);
        cache.Set("clé ☃", [3], NoExpiry);

        Assert.Equal([1], cache.Get("key"));
        Assert.Equal([2], cache.Get("KEY"));
        Assert.Equal([3], cache.Get("clé ☃"));
        Assert.Null(cache.Get("kez"));
        var writer = new ArrayBufferWriter<byte>();
        Assert.False(cache.TryGet("kez", writer));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Instance_names_keep_two_caches_over_one_store_apart()
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache a = NewCache(store, instance: "a");
        KvTieringDistributedCache b = NewCache(store, instance: "b");
        a.Set("k", [1], NoExpiry);
        b.Set("k", [2], NoExpiry);

        Assert.Equal([1], a.Get("k"));
        Assert.Equal([2], b.Get("k"));
        b.Remove("k");
        Assert.Equal([1], a.Get("k"));
    }

    [Fact]
    public void A_missing_chunk_makes_the_entry_a_miss_writes_nothing_and_cleans_it_up()
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        cache.Set("k", Value(6 * BlockBytes, 1), NoExpiry);
        Assert.True(store.Remove(ChunkKey(store, "k", 4)));

        var writer = new ArrayBufferWriter<byte>();
        Assert.False(cache.TryGet("k", writer));
        Assert.Equal(0, writer.WrittenCount);
        Assert.Equal(0, store.Count);
        Assert.Null(cache.Get("k"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void A_chunk_with_other_bytes_of_the_same_length_fails_the_hash_and_misses(int index)
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        cache.Set("k", Value(5 * BlockBytes + 10, 1), NoExpiry);
        ReplaceChunk(store, "k", index, index == 5 ? 10 : BlockBytes);

        var writer = new ArrayBufferWriter<byte>();
        Assert.False(cache.TryGet("k", writer));
        Assert.Equal(0, writer.WrittenCount);
        Assert.Null(cache.Get("k"));
    }

    [Theory]
    [InlineData(2, 100)]    // a middle chunk cut short
    [InlineData(5, 11)]     // the last chunk one byte long
    [InlineData(5, 9)]      // the last chunk one byte short
    public void A_chunk_of_the_wrong_length_misses(int index, int length)
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        cache.Set("k", Value(5 * BlockBytes + 10, 1), NoExpiry);
        ReplaceChunk(store, "k", index, length);

        Assert.Null(cache.Get("k"));
        Assert.False(cache.TryGet("k", new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void A_block_under_the_manifest_key_that_is_no_manifest_misses_and_is_removed()
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        Assert.Equal(PutResult.Stored, store.Put(ManifestKey("k"), default, Value(200, 1)));

        Assert.Null(cache.Get("k"));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void A_value_larger_than_the_store_is_not_cached_and_the_old_value_goes()
    {
        using TieredKvStore store = NewStore(memoryBlocks: 8);
        KvTieringDistributedCache cache = NewCache(store);
        cache.Set("k", Value(100, 1), NoExpiry);
        cache.Set("k", Value(8 * BlockBytes, 2), NoExpiry);

        Assert.Null(cache.Get("k"));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Under_capacity_pressure_old_entries_miss_and_no_read_returns_wrong_bytes()
    {
        using TieredKvStore store = NewStore(memoryBlocks: 20);
        KvTieringDistributedCache cache = NewCache(store);
        var values = new Dictionary<string, byte[]>();
        for (int i = 0; i < 30; i++)
        {
            values[$"k{i}"] = Value((i % 4) * BlockBytes + 100, i);
            cache.Set($"k{i}", values[$"k{i}"], NoExpiry);
        }

        int hits = 0;
        foreach ((string key, byte[] value) in values)
        {
            if (cache.Get(key) is { } got)
            {
                Assert.Equal(value, got);
                hits++;
            }
        }

        Assert.InRange(hits, 1, 29);
        Assert.Equal(values["k29"], cache.Get("k29"));
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_problem()
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        Assert.Throws<ArgumentNullException>(() => cache.Get(null!));
        Assert.Throws<ArgumentNullException>(() => cache.Set("k", (byte[])null!, NoExpiry));
        Assert.Throws<ArgumentNullException>(() => cache.Set("k", [1], null!));

        var tooLong = new string('x', cache.MaxKeyBytes + 1);
        ArgumentException longKey = Assert.Throws<ArgumentException>(() => cache.Set(tooLong, [1], NoExpiry));
        Assert.Contains($"{cache.MaxKeyBytes + 1} UTF-8 bytes", longKey.Message, StringComparison.Ordinal);
        cache.Set(new string('x', cache.MaxKeyBytes), [1], NoExpiry);

        ArgumentException surrogate = Assert.Throws<ArgumentException>(() => cache.Get("a\uD800b"));
        Assert.Contains("lone surrogate", surrogate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_that_cannot_carry_a_cache_is_refused()
    {
        var metadata = new KvStoreOptions { MetadataOnly = true };
        metadata.Tiers.Add(new TierOptions(KvTiering.Tiers.TierProfiles.Dram, 4));
        using var metadataStore = new TieredKvStore(metadata);
        Assert.Contains("metadata-only", Assert.Throws<ArgumentException>(() => new KvTieringDistributedCache(metadataStore)).Message,
            StringComparison.Ordinal);

        using TieredKvStore tiny = NewStore(blockBytes: 128);
        Assert.Contains("128 bytes", Assert.Throws<ArgumentException>(() => new KvTieringDistributedCache(tiny)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_async_faces_do_what_the_sync_ones_do_and_honour_cancellation()
    {
        using TieredKvStore store = NewStore();
        KvTieringDistributedCache cache = NewCache(store);
        byte[] value = Value(4 * BlockBytes, 3);
        await cache.SetAsync("a", value, NoExpiry);
        await cache.SetAsync("b", new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes("hello")), NoExpiry);

        Assert.Equal(value, await cache.GetAsync("a"));
        var writer = new ArrayBufferWriter<byte>();
        Assert.True(await cache.TryGetAsync("b", writer));
        Assert.Equal("hello", Encoding.UTF8.GetString(writer.WrittenSpan));
        await cache.RefreshAsync("a");
        await cache.RemoveAsync("a");
        Assert.Null(await cache.GetAsync("a"));

        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetAsync("b", cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.SetAsync("c", value, NoExpiry, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.TryGetAsync("b", writer, cts.Token));
        Assert.Null(cache.Get("c"));
    }

    /// <summary>Replaces a stored chunk with <paramref name="length"/> other bytes under the same key.</summary>
    private static void ReplaceChunk(TieredKvStore store, string key, int index, int length)
    {
        var chunk = ChunkKey(store, key, index);
        Assert.True(store.Remove(chunk));
        Assert.Equal(PutResult.Stored, store.Put(chunk, default, Value(length, 999)));
    }

    private static ReadOnlySequence<byte> Segments(byte[] value, int segmentBytes)
    {
        var first = new Segment(value.AsMemory(0, Math.Min(segmentBytes, value.Length)), 0);
        Segment last = first;
        for (int offset = segmentBytes; offset < value.Length; offset += segmentBytes)
        {
            last = last.Append(value.AsMemory(offset, Math.Min(segmentBytes, value.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
