using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Security;
using KvTiering.Store;
using KvTiering.Tiers;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>Sealed blocks on the shared server: a writer without the secret cannot plant KV another store serves.</summary>
public sealed class AuthenticationTests(GarnetFixture fixture) : IClassFixture<GarnetFixture>
{
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    private RedisBlockDevice NewDevice(string ns, byte[]? secret, BlockMacAlgorithm algorithm = BlockMacAlgorithm.HmacSha256)
    {
        RedisTierOptions options = Options(fixture.Server, ns: ns);
        options.MacAlgorithm = algorithm;
        return new RedisBlockDevice(fixture.Connection, options, 8, BlockBytes, secret);
    }

    private static string NewNamespace() => "auth" + Guid.NewGuid().ToString("N");

    [Theory]
    [InlineData(BlockMacAlgorithm.HmacSha256)]
    [InlineData(BlockMacAlgorithm.Gmac)]
    public void SealedBlockReadsBackAndAnotherHolderOfTheSecretFetchesIt(BlockMacAlgorithm algorithm)
    {
        string ns = NewNamespace();
        using RedisBlockDevice writer = NewDevice(ns, Secret, algorithm);
        using RedisBlockDevice reader = NewDevice(ns, Secret, algorithm);
        BlockKey[] chain = Chain(3, seed: 40);
        for (int i = 0; i < chain.Length; i++)
        {
            writer.Write(i, chain[i], ParentOf(chain, i), Payload(i));
        }

        byte[] value = fixture.Database.StringGet(writer.ServerKey(chain[0]))!;
        Assert.Equal(RedisBlockHeader.SealedSize + Payload(0).Length, value.Length);
        var buffer = new byte[BlockBytes];
        Assert.Equal(Payload(1).Length, writer.Read(1, chain[1], buffer));
        Assert.Equal(Payload(1), buffer[..Payload(1).Length]);
        Assert.Equal(3, reader.MatchPrefix(chain));
        int fetched = reader.TryFetch(chain[2], buffer, out BlockKey parent, out _);
        Assert.Equal(Payload(2), buffer[..fetched]);
        Assert.Equal(chain[1], parent);
        Assert.Equal(0, reader.GetStatistics().AuthenticationFailures);
    }

    [Fact]
    public void ForgedValueWithMatchingChecksumsIsAMissCountedAndDeleted()
    {
        string ns = NewNamespace();
        using RedisBlockDevice victim = NewDevice(ns, Secret);
        using RedisBlockDevice forger = NewDevice(ns, secret: null);
        BlockKey key = Chain(1, seed: 41)[0];
        byte[] planted = Payload(5);

        // The forger knows the tokens, so the key; its value's header and payload checksums are right.
        forger.Write(0, key, Hasher.Root, planted);
        RedisKey serverKey = victim.ServerKey(key);
        Assert.True(fixture.Database.KeyExists(serverKey));

        var buffer = new byte[BlockBytes];
        Assert.Equal(0, victim.MatchPrefix([key]));
        Assert.Equal(-1, victim.TryFetch(key, buffer, out _, out _));
        Assert.All(buffer, b => Assert.Equal(0, b));
        Assert.Equal(1, victim.GetStatistics().AuthenticationFailures);
        Assert.Equal(0, victim.GetStatistics().ChecksumFailures);
        Assert.True(SpinWait.SpinUntil(() => !fixture.Database.KeyExists(serverKey), TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void ForgedPayloadUnderARealSealIsAMissCountedAndDeleted()
    {
        string ns = NewNamespace();
        using RedisBlockDevice victim = NewDevice(ns, Secret);
        BlockKey key = Chain(1, seed: 42)[0];
        victim.Write(0, key, Hasher.Root, Payload(0));
        RedisKey serverKey = victim.ServerKey(key);

        // Keep the real header and seal; swap the payload and fix both checksums, as the forged slot did.
        byte[] value = fixture.Database.StringGet(serverKey)!;
        byte[] forged = value.ToArray();
        forged[RedisBlockHeader.SealedSize] ^= 0xFF;
        ReadOnlySpan<byte> payload = forged.AsSpan(RedisBlockHeader.SealedSize);
        BinaryPrimitives.WriteUInt64LittleEndian(forged.AsSpan(48), XxHash3.HashToUInt64(payload));
        BinaryPrimitives.WriteUInt64LittleEndian(forged.AsSpan(56), XxHash3.HashToUInt64(forged.AsSpan(0, 56)));
        Assert.True(fixture.Database.StringSet(serverKey, forged));

        var buffer = new byte[BlockBytes];
        Assert.Equal(-1, victim.Read(0, key, buffer));
        Assert.Equal(1, victim.GetStatistics().AuthenticationFailures);
        Assert.True(SpinWait.SpinUntil(() => !fixture.Database.KeyExists(serverKey), TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void BlockSealedWithAnotherSecretIsRejected()
    {
        string ns = NewNamespace();
        byte[] other = Secret.Select(b => (byte)(b ^ 1)).ToArray();
        using RedisBlockDevice writer = NewDevice(ns, other);
        using RedisBlockDevice reader = NewDevice(ns, Secret);
        BlockKey[] chain = Chain(2, seed: 43);
        writer.Write(0, chain[0], Hasher.Root, Payload(0));
        writer.Write(1, chain[1], chain[0], Payload(1));

        Assert.Equal(0, reader.MatchPrefix(chain));
        Assert.Equal(-1, reader.TryFetch(chain[0], new byte[BlockBytes], out _, out _));
        Assert.Equal(1, reader.GetStatistics().AuthenticationFailures);
    }

    [Fact]
    public void StoreTierSealsWithTheTierOptionsKey()
    {
        string ns = NewNamespace();
        RedisTierOptions redis = Options(fixture.Server, ns: ns);
        RedisBlockDevice? device = null;
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 1));
        TierOptions remote = RedisTier.Create(fixture.Connection, redis, 16, d => device = d);
        remote.AuthenticationKey = Secret;
        options.Tiers.Add(remote);
        using var store = new TieredKvStore(options);
        BlockKey[] chain = Chain(4, seed: 44);
        for (int i = 0; i < chain.Length; i++)
        {
            store.Put(chain[i], ParentOf(chain, i), Payload(i));
        }

        Assert.True(device!.IsAuthenticated);
        byte[] value = fixture.Database.StringGet(device.ServerKey(chain[0]))!;
        Assert.Equal(RedisBlockHeader.SealedFlag, BinaryPrimitives.ReadUInt16LittleEndian(value.AsSpan(6)));
        var buffer = new byte[BlockBytes];
        for (int i = 0; i < chain.Length; i++)
        {
            Assert.True(store.TryGet(chain[i], buffer, out int written));
            Assert.Equal(Payload(i), buffer[..written]);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    public void ShortAuthenticationKeyIsRejectedNamingItsLength(int length)
    {
        var tier = new TierOptions(TierProfiles.Dram, 4);
        ArgumentException error = Assert.Throws<ArgumentException>(() => tier.AuthenticationKey = new byte[length]);
        Assert.Equal(nameof(TierOptions.AuthenticationKey), error.ParamName);
        Assert.Contains($"{length} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TenantsWithDifferentSaltsShareNoBlocksOnOneServer()
    {
        // The namespace salt (vLLM's cache_salt) changes every key of the same tokens, so tenant B's prefix match
        // cannot observe whether tenant A cached a prompt: no shared hit, no timing difference to measure.
        var tenantA = new BlockHasher(Layout, salt: "tenant-a");
        var tenantB = new BlockHasher(Layout, salt: "tenant-b");
        int[] tokens = Enumerable.Range(0, 4 * Layout.TokensPerBlock).ToArray();
        var keysA = new BlockKey[4];
        var keysB = new BlockKey[4];
        tenantA.ComputeKeys(tokens, keysA);
        tenantB.ComputeKeys(tokens, keysB);
        Assert.Empty(keysA.Intersect(keysB));

        string ns = NewNamespace();
        using RedisBlockDevice a = NewDevice(ns, Secret);
        using RedisBlockDevice b = NewDevice(ns, Secret);
        for (int i = 0; i < keysA.Length; i++)
        {
            a.Write(i, keysA[i], i == 0 ? tenantA.Root : keysA[i - 1], Payload(i));
        }

        Assert.Equal(4, a.MatchPrefix(keysA));
        Assert.Equal(0, b.MatchPrefix(keysB));
    }
}
