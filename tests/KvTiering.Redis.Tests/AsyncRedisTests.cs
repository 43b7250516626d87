using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Store;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>The Redis tier's awaitable slot calls, on the device and through the store's async API.</summary>
public sealed class AsyncRedisTests(GarnetFixture fixture) : IClassFixture<GarnetFixture>
{
    [Fact]
    public async Task AwaitedWritesReadBackVerbatim()
    {
        using var device = new RedisBlockDevice(fixture.Connection, Options(fixture.Server), 8, BlockBytes);
        var awaitable = device;
        BlockKey[] chain = Chain(3, seed: 31);
        for (int i = 0; i < chain.Length; i++)
        {
            await awaitable.WriteAsync(i, chain[i], ParentOf(chain, i), Payload(i), CancellationToken.None);
        }

        var buffer = new byte[BlockBytes];
        for (int i = 0; i < chain.Length; i++)
        {
            int read = await awaitable.ReadAsync(i, chain[i], buffer, CancellationToken.None);
            Assert.Equal(Payload(i), buffer[..read]);
            Assert.Equal(read, device.Read(i, chain[i], buffer)); // the synchronous read sees the same block
        }

        Assert.Equal(-1, await awaitable.ReadAsync(0, chain[1], buffer, CancellationToken.None)); // another key: a miss
        RedisTierStatistics stats = device.GetStatistics();
        Assert.Equal(3, stats.Writes);
        Assert.Equal(6, stats.Hits);
    }

    [Fact]
    public async Task ACancelledReadLeavesTheSlotReadable()
    {
        using var device = new RedisBlockDevice(fixture.Connection, Options(fixture.Server), 4, BlockBytes);
        BlockKey key = Chain(1, seed: 32)[0];
        await device.WriteAsync(0, key, Hasher.Root, Payload(0), CancellationToken.None);
        var buffer = new byte[BlockBytes];
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => device.ReadAsync(0, key, buffer, cancelled.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => device.WriteAsync(1, key, Hasher.Root, Payload(1), cancelled.Token).AsTask());
        Assert.Equal(0, device.PayloadLength(1)); // the cancelled write sent nothing
        int read = await device.ReadAsync(0, key, buffer, CancellationToken.None);
        Assert.Equal(Payload(0), buffer[..read]);
    }

    [Fact]
    public async Task TheStoreAwaitsTheServerForALowerTierHit()
    {
        using TieredKvStore store = NewStore(fixture.Connection, Options(fixture.Server), 2, 32, out RedisBlockDevice device);
        Assert.IsAssignableFrom<IAsyncBlockDevice>(device);
        BlockKey[] chain = Chain(6, seed: 33);
        for (int i = 0; i < chain.Length; i++)
        {
            await store.PutAsync(chain[i], ParentOf(chain, i), Payload(i));
        }

        Assert.Equal(1, store.TierOf(chain[0]));
        var buffer = new byte[BlockBytes];
        BlockRead first = await store.TryGetAsync(chain[0], buffer);
        Assert.True(first.Found);
        Assert.Equal(1, first.Tier); // served by the server, then promoted
        Assert.Equal(Payload(0), buffer[..first.BytesWritten]);
        Assert.Equal(0, store.TierOf(chain[0]));
        for (int i = 0; i < chain.Length; i++)
        {
            int written = await store.GetAsync(chain[i], buffer);
            Assert.Equal(Payload(i), buffer[..written]);
        }

        Assert.True(device.GetStatistics().Hits >= 4);
    }

    [Fact]
    public async Task APrefetchReadsItsWindowFromTheServerAndEveryBlockComesUpIntact()
    {
        RedisTierOptions options = Options(fixture.Server);
        options.ReadWindow = 8;
        using TieredKvStore store = NewStore(fixture.Connection, options, 24, 64, out RedisBlockDevice device);
        Assert.Equal(8, ((IConcurrentReads)device).ReadWindow);
        BlockKey[] chain = Chain(44, seed: 34);
        for (int i = 0; i < chain.Length; i++)
        {
            store.Put(chain[i], ParentOf(chain, i), Payload(i));
        }

        BlockKey[] below = chain.Where(k => store.TierOf(k) == 1).ToArray(); // which 20 is the top tier's policy's choice
        Assert.Equal(20, below.Length);
        long hits = device.GetStatistics().Hits;
        Assert.Equal(20, await store.PrefetchAsync(below));

        Assert.Equal(hits + 20, device.GetStatistics().Hits); // one read each, none repeated
        Assert.All(below, k => Assert.Equal(0, store.TierOf(k)));
        var buffer = new byte[BlockBytes];
        for (int i = 0; i < chain.Length; i++)
        {
            Assert.True(store.TryGet(chain[i], buffer, out int written));
            Assert.Equal(Payload(i), buffer[..written]);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1025)]
    public void AReadWindowOutOfRangeIsRefusedByName(int window)
    {
        RedisTierOptions options = Options(fixture.Server);
        options.ReadWindow = window;

        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => new RedisBlockDevice(fixture.Connection, options, 4, BlockBytes));

        Assert.Equal("ReadWindow", thrown.ParamName);
        Assert.Contains($"ReadWindow {window}", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAwaitedFetchVerifiesAndReturnsTheParent()
    {
        string ns = "fetch" + Guid.NewGuid().ToString("N");
        using var writer = new RedisBlockDevice(fixture.Connection, Options(fixture.Server, ns: ns), 8, BlockBytes);
        using var reader = new RedisBlockDevice(fixture.Connection, Options(fixture.Server, ns: ns), 8, BlockBytes);
        BlockKey[] chain = Chain(3, seed: 34);
        writer.Write(0, chain[1], chain[0], Payload(1));
        writer.Write(1, chain[2], chain[1], Payload(2));
        byte[] value = fixture.Database.StringGet(writer.ServerKey(chain[2]))!;
        value[^1] ^= 1; // a payload byte flipped on the server
        fixture.Database.StringSet(writer.ServerKey(chain[2]), value);
        IRemoteBlockSource source = reader;

        var buffer = new byte[BlockBytes];
        (int length, BlockKey parent, ReadFailure failure) = await source.TryFetchAsync(chain[1], buffer, CancellationToken.None);
        Assert.Equal(Payload(1), buffer[..length]);
        Assert.Equal(chain[0], parent);
        Assert.Equal(ReadFailure.Unknown, failure);
        Assert.Equal((-1, BlockKey.Empty, ReadFailure.Lost), await source.TryFetchAsync(chain[0], buffer, CancellationToken.None)); // absent
        Assert.Equal((-1, BlockKey.Empty, ReadFailure.Corrupt), await source.TryFetchAsync(chain[2], buffer, CancellationToken.None)); // corrupt
        RedisTierStatistics stats = reader.GetStatistics();
        Assert.Equal((3L, 1L, 1L), (stats.Fetches, stats.FetchHits, stats.ChecksumFailures));
    }

    [Fact]
    public async Task TheStoreAwaitsTheServerForALocalMissAndAdoptsTheBlock()
    {
        RedisTierOptions shared = Options(fixture.Server, ns: "await-miss" + Guid.NewGuid().ToString("N"));
        BlockKey[] chain = Chain(2, seed: 35);
        using var writer = new RedisBlockDevice(fixture.Connection, shared, 8, BlockBytes);
        writer.Write(0, chain[1], chain[0], Payload(1)); // another store's block
        using TieredKvStore store = NewStore(fixture.Connection, shared, 4, 32, out RedisBlockDevice device);

        var buffer = new byte[BlockBytes];
        BlockRead read = await store.TryGetAsync(chain[1], buffer);
        Assert.True(read.Found);
        Assert.Equal(1, read.Tier);
        Assert.Equal(Payload(1), buffer[..read.BytesWritten]);
        Assert.Equal(0, store.TierOf(chain[1])); // adopted like a put
        Assert.False((await store.TryGetAsync(chain[0], buffer)).Found);
        Assert.Equal((2L, 1L), (device.GetStatistics().Fetches, device.GetStatistics().FetchHits));
    }
}
