using System.Buffers.Binary;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tiers;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>
/// <see cref="TieredKvStore.ShareAsync"/> over Garnet: a block a store holds in DRAM is written to the server as its
/// demotion would write it, so a second store of the fleet fetches and verifies it though the first never demoted it
/// (write30; before, a block reached the server only when demoted).
/// </summary>
public sealed class ShareTests(GarnetFixture fixture) : IClassFixture<GarnetFixture>
{
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)(i * 11)).ToArray();

    private static string NewNamespace() => "share" + Guid.NewGuid().ToString("N");

    private TieredKvStore NewStore(string ns, byte[]? secret, out RedisBlockDevice device)
    {
        RedisBlockDevice? created = null;
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 8));
        TierOptions remote = RedisTier.Create(fixture.Connection, Options(fixture.Server, ns: ns), 16, d => created = d);
        remote.AuthenticationKey = secret;
        options.Tiers.Add(remote);
        var store = new TieredKvStore(options);
        device = created!;
        return store;
    }

    private static BlockKey[] PutChain(TieredKvStore store, int count, int seed)
    {
        BlockKey[] chain = Chain(count, seed);
        for (int i = 0; i < chain.Length; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(chain[i], ParentOf(chain, i), Payload(i)));
        }

        return chain;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_shared_block_is_fetched_and_verified_by_a_second_store(bool sealed_)
    {
        string ns = NewNamespace();
        byte[]? secret = sealed_ ? Secret : null;
        using TieredKvStore writer = NewStore(ns, secret, out RedisBlockDevice device);
        BlockKey[] chain = PutChain(writer, 3, seed: 70);
        Assert.False(fixture.Database.KeyExists(device.ServerKey(chain[0]))); // in DRAM only: on main it stays there

        ShareResult shared = await writer.ShareAsync(chain);

        Assert.Equal(new ShareResult(3, 0, 0, 0, 0), shared);
        Assert.All(chain, k => Assert.Equal(0, writer.TierOf(k))); // still in DRAM
        byte[] value = fixture.Database.StringGet(device.ServerKey(chain[1]))!;
        Assert.Equal(sealed_, BinaryPrimitives.ReadUInt16LittleEndian(value.AsSpan(6)) == RedisBlockHeader.SealedFlag);
        Assert.Equal(3, device.GetStatistics().Writes);

        using TieredKvStore reader = NewStore(ns, secret, out _);
        var buffer = new byte[BlockBytes];
        for (int i = 0; i < chain.Length; i++)
        {
            BlockRead read = await reader.TryGetAsync(chain[i], buffer);
            Assert.True(read.Found);
            Assert.Equal(1, read.Tier);
            Assert.Equal(Payload(i), buffer[..read.BytesWritten]);
        }
    }

    [Fact]
    public async Task Another_namespace_or_secret_does_not_see_the_shared_block_and_a_forged_one_is_not_served()
    {
        string ns = NewNamespace();
        using TieredKvStore writer = NewStore(ns, Secret, out RedisBlockDevice device);
        BlockKey[] chain = PutChain(writer, 2, seed: 71);
        Assert.Equal(2, (await writer.ShareAsync(chain)).Copied);

        using TieredKvStore otherModel = NewStore(NewNamespace(), Secret, out _);
        Assert.False((await otherModel.TryGetAsync(chain[0], new byte[BlockBytes])).Found);

        using TieredKvStore otherSecret = NewStore(ns, Secret.Select(b => (byte)(b ^ 1)).ToArray(), out RedisBlockDevice wrongKey);
        Assert.False((await otherSecret.TryGetAsync(chain[1], new byte[BlockBytes])).Found);
        Assert.Equal(1, wrongKey.GetStatistics().AuthenticationFailures);

        // A value replaced on the server with one whose checksum matches but whose seal does not: a miss, never its bytes.
        byte[] value = fixture.Database.StringGet(device.ServerKey(chain[0]))!;
        value[^1] ^= 1;
        fixture.Database.StringSet(device.ServerKey(chain[0]), value);
        using TieredKvStore victim = NewStore(ns, Secret, out _);
        Assert.False((await victim.TryGetAsync(chain[0], new byte[BlockBytes])).Found);
    }

    [Fact]
    public async Task A_server_that_is_down_gets_nothing_and_the_share_does_not_throw()
    {
        using var server = new GarnetTestServer();
        RedisTierOptions options = Options(server);
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using TieredKvStore store = RedisTestKit.NewStore(connection, options, 8, 8, out RedisBlockDevice device);
        BlockKey[] chain = PutChain(store, 2, seed: 72);
        server.Stop();
        Assert.False(store.TryGet(Chain(1, seed: 73)[0], new byte[BlockBytes], out _)); // a fetch finds the server down

        ShareResult result = await store.ShareAsync(chain);

        Assert.Equal(0, result.Copied);
        Assert.Equal(2, result.Unavailable + result.Failed);
        Assert.Equal(0, store.TierOf(chain[0]));
    }
}
