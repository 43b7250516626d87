using KvTiering.Blocks;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

public sealed class RedisBlockDeviceTests(GarnetFixture fixture) : IClassFixture<GarnetFixture>
{
    private RedisBlockDevice NewDevice(int slots = 8, string? ns = null, Action<RedisTierOptions>? configure = null)
    {
        RedisTierOptions options = Options(fixture.Server, ns: ns);
        configure?.Invoke(options);
        return new RedisBlockDevice(fixture.Connection, options, slots, BlockBytes);
    }

    [Fact]
    public void WrittenBlockReadsBackVerbatim()
    {
        using RedisBlockDevice device = NewDevice();
        BlockKey[] chain = Chain(3);
        for (int i = 0; i < chain.Length; i++)
        {
            device.Write(i, chain[i], ParentOf(chain, i), Payload(i));
        }

        var buffer = new byte[BlockBytes];
        for (int i = 0; i < chain.Length; i++)
        {
            Assert.Equal(Payload(i).Length, device.PayloadLength(i));
            int read = device.Read(i, chain[i], buffer);
            Assert.Equal(Payload(i), buffer[..read]);
        }

        RedisTierStatistics stats = device.GetStatistics();
        Assert.Equal(3, stats.Writes);
        Assert.Equal(3, stats.Hits);
        Assert.True(stats.IsAvailable);
    }

    [Fact]
    public void ValueIsNamespacedHeaderPlusPayload()
    {
        using RedisBlockDevice device = NewDevice(ns: "model-a");
        BlockKey key = Chain(1, seed: 11)[0];
        device.Write(0, key, Hasher.Root, Payload(0));

        byte[]? value = fixture.Database.StringGet($"model-a:{key}");
        Assert.NotNull(value);
        Assert.Equal(RedisBlockHeader.Size + Payload(0).Length, value.Length);
        Assert.Equal(Payload(0), value[RedisBlockHeader.Size..]);
        Assert.True(RedisBlockHeader.TryRead(value, key, BlockBytes, authenticator: null, out RedisBlockHeader header));
        Assert.Equal(Hasher.Root, header.Parent);
    }

    [Fact]
    public void ReadWithAnotherKeyOrFreedSlotMisses()
    {
        using RedisBlockDevice device = NewDevice();
        BlockKey[] chain = Chain(2, seed: 2);
        device.Write(0, chain[0], Hasher.Root, Payload(0));
        var buffer = new byte[BlockBytes];

        Assert.Equal(-1, device.Read(0, chain[1], buffer));
        device.Free(0);
        Assert.Equal(-1, device.Read(0, chain[0], buffer));
        Assert.Equal(0, device.PayloadLength(0));
    }

    [Theory]
    [InlineData(RedisBlockHeader.Size + 5)] // payload byte
    [InlineData(20)]                        // key byte in the header
    [InlineData(RedisBlockHeader.Size - 1)] // header checksum
    public void FlippedByteOnTheServerIsAMissAndIsDeleted(int offset)
    {
        using RedisBlockDevice device = NewDevice();
        BlockKey key = Chain(1, seed: 3 + offset)[0];
        device.Write(0, key, Hasher.Root, Payload(0));
        RedisKey serverKey = device.ServerKey(key);
        byte[] value = fixture.Database.StringGet(serverKey)!;
        value[offset] ^= 0x40;
        fixture.Database.StringSet(serverKey, value);

        var buffer = new byte[BlockBytes];
        Assert.Equal(-1, device.Read(0, key, buffer));
        Assert.Equal(1, device.GetStatistics().ChecksumFailures);
        Assert.Equal(0, device.GetStatistics().Hits);
        Assert.False(fixture.Database.KeyExists(serverKey));
    }

    [Fact]
    public void TruncatedOrForeignValueIsAMiss()
    {
        using RedisBlockDevice device = NewDevice();
        BlockKey[] chain = Chain(2, seed: 4);
        device.Write(0, chain[0], Hasher.Root, Payload(0));
        device.Write(1, chain[1], chain[0], Payload(1));
        byte[] value = fixture.Database.StringGet(device.ServerKey(chain[0]))!;
        fixture.Database.StringSet(device.ServerKey(chain[0]), value[..^1]);
        fixture.Database.StringSet(device.ServerKey(chain[1]), "not a block");

        var buffer = new byte[BlockBytes];
        Assert.Equal(-1, device.Read(0, chain[0], buffer));
        Assert.Equal(-1, device.Read(1, chain[1], buffer));
        Assert.Equal(2, device.GetStatistics().ChecksumFailures);
    }

    [Fact]
    public void BlockTheServerDroppedCountsAsVanished()
    {
        using RedisBlockDevice device = NewDevice();
        BlockKey key = Chain(1, seed: 5)[0];
        device.Write(0, key, Hasher.Root, Payload(0));
        fixture.Database.KeyDelete(device.ServerKey(key));

        Assert.Equal(-1, device.Read(0, key, new byte[BlockBytes]));
        RedisTierStatistics stats = device.GetStatistics();
        Assert.Equal(1, stats.Vanished);
        Assert.Equal(0, stats.ChecksumFailures);
    }

    [Fact]
    public void EveryBlockCarriesTheConfiguredExpiry()
    {
        using RedisBlockDevice expiring = NewDevice(configure: o => o.Expiry = TimeSpan.FromMinutes(10));
        using RedisBlockDevice keeping = NewDevice(configure: o => o.Expiry = null);
        BlockKey[] chain = Chain(2, seed: 6);
        expiring.Write(0, chain[0], Hasher.Root, Payload(0));
        keeping.Write(0, chain[1], chain[0], Payload(1));

        TimeSpan? ttl = fixture.Database.KeyTimeToLive(expiring.ServerKey(chain[0]));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.Null(fixture.Database.KeyTimeToLive(keeping.ServerKey(chain[1])));
    }

    [Fact]
    public void ExpiredBlockIsGoneAndCountedAsVanished()
    {
        using RedisBlockDevice device = NewDevice(configure: o => o.Expiry = TimeSpan.FromMilliseconds(50));
        BlockKey key = Chain(1, seed: 7)[0];
        device.Write(0, key, Hasher.Root, Payload(0));
        RedisKey serverKey = device.ServerKey(key);

        // Bounded wait for the server's own clock; the assertion is on what the device does afterwards.
        for (int i = 0; i < 200 && fixture.Database.KeyExists(serverKey); i++)
        {
            Thread.Sleep(20);
        }

        Assert.Equal(-1, device.Read(0, key, new byte[BlockBytes]));
        Assert.Equal(1, device.GetStatistics().Vanished);
    }

    [Fact]
    public void ReadRenewsTheExpiryWhenSliding()
    {
        using RedisBlockDevice device = NewDevice(configure: o => o.Expiry = TimeSpan.FromMinutes(10));
        BlockKey key = Chain(1, seed: 8)[0];
        device.Write(0, key, Hasher.Root, Payload(0));
        RedisKey serverKey = device.ServerKey(key);
        fixture.Database.KeyExpire(serverKey, TimeSpan.FromMinutes(1));

        Assert.True(device.Read(0, key, new byte[BlockBytes]) > 0);

        // The renewal is sent before this command on the same connection, so the server has applied it.
        TimeSpan? ttl = fixture.Database.KeyTimeToLive(serverKey);
        Assert.NotNull(ttl);
        Assert.True(ttl > TimeSpan.FromMinutes(5), $"TTL {ttl} was not renewed.");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FreeDeletesOnlyWhenAsked(bool deleteOnFree)
    {
        using RedisBlockDevice device = NewDevice(configure: o => o.DeleteOnFree = deleteOnFree);
        BlockKey key = Chain(1, seed: 9)[0];
        device.Write(0, key, Hasher.Root, Payload(0));
        device.Free(0);

        Assert.Equal(!deleteOnFree, fixture.Database.KeyExists(device.ServerKey(key)));
    }

    [Fact]
    public void AnotherDeviceFetchesTheBlockWithItsParent()
    {
        string ns = "shared" + Guid.NewGuid().ToString("N");
        using RedisBlockDevice writer = NewDevice(ns: ns);
        using RedisBlockDevice reader = NewDevice(ns: ns);
        using RedisBlockDevice otherModel = NewDevice();
        BlockKey[] chain = Chain(2, seed: 10);
        writer.Write(3, chain[1], chain[0], Payload(1));

        var buffer = new byte[BlockBytes];
        int read = reader.TryFetch(chain[1], buffer, out BlockKey parent, out _);
        Assert.Equal(Payload(1), buffer[..read]);
        Assert.Equal(chain[0], parent);
        Assert.Equal(-1, reader.TryFetch(chain[0], buffer, out _, out _));
        Assert.Equal(-1, otherModel.TryFetch(chain[1], buffer, out _, out _));
        Assert.Equal(1, reader.GetStatistics().FetchHits);
        Assert.Equal(2, reader.GetStatistics().Fetches);
    }

    [Fact]
    public void FetchIntoShortBufferThrowsNamingTheLengths()
    {
        using RedisBlockDevice device = NewDevice();
        BlockKey key = Chain(1, seed: 12)[0];
        device.Write(0, key, Hasher.Root, Payload(0));

        var ex = Assert.Throws<ArgumentException>(() => device.TryFetch(key, new byte[10], out _, out _));
        Assert.Contains("10", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(8, 5)]
    [InlineData(8, 8)]
    [InlineData(600, 600)]
    [InlineData(600, 300)]
    public void MatchPrefixCountsLeadingBlocksOnTheServer(int length, int present)
    {
        using RedisBlockDevice device = NewDevice(slots: 600);
        BlockKey[] chain = Chain(length, seed: 20 + length + present);
        var payload = new byte[16];
        for (int i = 0; i < present; i++)
        {
            device.Write(i, chain[i], ParentOf(chain, i), payload);
        }

        if (present + 1 < length)
        {
            device.Write(present + 1, chain[present + 1], chain[present], payload); // after the gap: not counted
        }

        Assert.Equal(present, device.MatchPrefix(chain));
    }

    [Fact]
    public void MatchPrefixStopsAtACorruptHeader()
    {
        using RedisBlockDevice device = NewDevice();
        BlockKey[] chain = Chain(4, seed: 30);
        for (int i = 0; i < chain.Length; i++)
        {
            device.Write(i, chain[i], ParentOf(chain, i), Payload(i));
        }

        fixture.Database.StringSetRange(device.ServerKey(chain[2]), 0, new byte[] { 0 });
        Assert.Equal(2, device.MatchPrefix(chain));
    }

    [Fact]
    public void BadArgumentsThrowNamingTheValue()
    {
        using RedisBlockDevice device = NewDevice(slots: 2);
        BlockKey key = Chain(1, seed: 13)[0];
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Write(2, key, Hasher.Root, Payload(0)));
        Assert.Throws<ArgumentException>(() => device.Write(0, key, Hasher.Root, new byte[BlockBytes + 1]));
        Assert.Throws<ArgumentException>(() => device.Write(0, BlockKey.Empty, Hasher.Root, Payload(0)));
        var ns = Assert.Throws<ArgumentException>(() => NewDevice(ns: "{m}"));
        Assert.Equal("Namespace", ns.ParamName);
        var backoff = Assert.Throws<ArgumentOutOfRangeException>(() => NewDevice(configure: o => o.MaxBackoff = TimeSpan.Zero));
        Assert.Equal("MaxBackoff", backoff.ParamName);
    }

    [Fact]
    public void DisposedDeviceThrowsAndLeavesASharedConnectionOpen()
    {
        RedisBlockDevice device = NewDevice();
        device.Dispose();
        Assert.Throws<ObjectDisposedException>(() => device.Read(0, Chain(1)[0], new byte[BlockBytes]));
        Assert.True(fixture.Connection.IsConnected);
    }
}
