using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tiers;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>
/// The forgery drill of issue #23 at store level over the embedded Garnet: an attacker with write access to the
/// server writes a value under a block's key whose header and XXH3 checksums are valid but whose bytes, of the block's
/// length, are not the block's. With <see cref="TierOptions.AuthenticationKey"/> it is a miss for the store that held
/// the block and for a store that restores the chain, and the next put heals the server; without one it is served,
/// because a checksum is not a MAC (docs/security.md; docs/reliability.md, "A value forged with valid checksums").
/// </summary>
public sealed class ForgeryTests(GarnetFixture fixture) : IClassFixture<GarnetFixture>
{
    private const int Blocks = 6;
    private const int Forged = 2;

    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)(i * 13)).ToArray();

    /// <summary>Not the block's bytes but its length, as an attacker planting KV of its shape would write.</summary>
    private static readonly byte[] Planted = PlantedBytes();

    private static byte[] PlantedBytes()
    {
        var bytes = new byte[Payload(Forged).Length];
        new Random(1_000).NextBytes(bytes);
        Assert.NotEqual(Payload(Forged), bytes);
        return bytes;
    }

    private static string NewNamespace() => "forge" + Guid.NewGuid().ToString("N");

    /// <summary>Two DRAM blocks over Garnet: of a six-block chain, blocks 0..3 live on the server.</summary>
    private TieredKvStore NewStore(string ns, byte[]? secret, out RedisBlockDevice device)
    {
        RedisBlockDevice? created = null;
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 2));
        TierOptions remote = RedisTier.Create(fixture.Connection, Options(fixture.Server, ns: ns), 16, d => created = d);
        remote.AuthenticationKey = secret;
        options.Tiers.Add(remote);
        var store = new TieredKvStore(options);
        device = created!;
        return store;
    }

    private static BlockKey[] PutChain(TieredKvStore store, int seed)
    {
        BlockKey[] chain = Chain(Blocks, seed);
        for (int i = 0; i < chain.Length; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(chain[i], ParentOf(chain, i), Payload(i)));
        }

        Assert.Equal(1, store.TierOf(chain[Forged]));
        return chain;
    }

    /// <summary>
    /// What the attacker writes: a device without the secret, on the test's own connection, computes the header and
    /// both checksums for the planted bytes under the block's real key and parent; the value replaces the genuine one.
    /// </summary>
    private byte[] Forge(string ns, BlockKey[] chain, RedisKey serverKey)
    {
        byte[]? genuine = fixture.Database.StringGet(serverKey);
        RedisTierOptions options = Options(fixture.Server, ns: ns);
        using (var forger = new RedisBlockDevice(fixture.Connection, options, 8, BlockBytes, authenticationKey: null))
        {
            forger.Write(0, chain[Forged], chain[Forged - 1], Planted);
        }

        byte[] planted = fixture.Database.StringGet(serverKey)!;
        Assert.NotEqual(genuine, planted);
        return planted;
    }

    private void AssertDeleted(RedisKey serverKey) =>
        Assert.True(SpinWait.SpinUntil(() => !fixture.Database.KeyExists(serverKey), TimeSpan.FromSeconds(60)));

    [Fact]
    public async Task With_a_key_a_forgery_with_valid_checksums_is_a_miss_a_restore_stops_before_it_and_the_next_put_heals_it()
    {
        string ns = NewNamespace();
        using TieredKvStore writer = NewStore(ns, Secret, out RedisBlockDevice writerDevice);
        BlockKey[] chain = PutChain(writer, seed: 90);
        RedisKey serverKey = writerDevice.ServerKey(chain[Forged]);
        var buffer = new byte[BlockBytes];

        // A restore by a store that never held the chain (another server of the fleet): the prefix query rejects the
        // planted header by its tag, the blocks before it come back with their own bytes, the forged one is a miss.
        Forge(ns, chain, serverKey);
        using (TieredKvStore restorer = NewStore(ns, Secret, out RedisBlockDevice restorerDevice))
        {
            Assert.Equal(Forged, restorer.MatchPrefix(chain).Blocks);
            for (int i = 0; i < Forged; i++)
            {
                Assert.True(restorer.TryGet(chain[i], buffer, out int written));
                Assert.Equal(Payload(i), buffer[..written]);
            }

            Assert.False(restorer.TryGet(chain[Forged], buffer, out _, out _, out BlockMiss restoreMiss));
            Assert.Equal(BlockMiss.Corrupt, restoreMiss);
            Assert.Equal(1, restorerDevice.GetStatistics().AuthenticationFailures);
            Assert.Equal(0, restorerDevice.GetStatistics().ChecksumFailures);
            AssertDeleted(serverKey);
        }

        // The attacker writes it again; now the store that holds the block on the server reads it: a miss, counted as
        // an authentication failure, the value deleted and the block dropped, never the planted bytes.
        Forge(ns, chain, serverKey);
        Array.Fill(buffer, (byte)0);
        Assert.False(writer.TryGet(chain[Forged], buffer, out _, out _, out BlockMiss miss));
        Assert.Equal(BlockMiss.Corrupt, miss);
        Assert.All(buffer, b => Assert.Equal(0, b));
        RedisTierStatistics device = writerDevice.GetStatistics();
        Assert.Equal((1L, 0L), (device.AuthenticationFailures, device.ChecksumFailures));
        Assert.Equal(1, writer.GetStatistics().Tiers[1].ChecksumFailures); // the store counts a corrupt read
        AssertDeleted(serverKey);
        Assert.False(writer.Contains(chain[Forged]));
        Assert.Equal(Forged, writer.MatchPrefix(chain).Blocks);

        // Healing: the next put of the block is admitted as new, and sharing it writes the genuine sealed value again.
        Assert.Equal(PutResult.Stored, writer.Put(chain[Forged], chain[Forged - 1], Payload(Forged)));
        ShareResult shared = await writer.ShareAsync(chain);
        Assert.True(shared.Complete);
        Assert.Equal(Blocks, shared.OnSharedTier);
        Assert.True(fixture.Database.KeyExists(serverKey));

        using TieredKvStore fresh = NewStore(ns, Secret, out RedisBlockDevice freshDevice);
        Assert.Equal(Blocks, fresh.MatchPrefix(chain).Blocks);
        for (int i = 0; i < Blocks; i++)
        {
            BlockRead read = await fresh.TryGetAsync(chain[i], buffer);
            Assert.True(read.Found);
            Assert.Equal(Payload(i), buffer[..read.BytesWritten]);
        }

        Assert.Equal(0, freshDevice.GetStatistics().AuthenticationFailures);
    }

    [Fact]
    public void Without_a_key_a_forgery_with_valid_checksums_is_served_as_the_block()
    {
        // The limit docs/security.md states: XXH3 stops accidents, not a writer who can compute it. This pins what the
        // library does then, so the documents cannot drift from it: the planted bytes are a hit, in the store that
        // held the block and in a restore, and nothing is counted.
        string ns = NewNamespace();
        using TieredKvStore writer = NewStore(ns, secret: null, out RedisBlockDevice writerDevice);
        BlockKey[] chain = PutChain(writer, seed: 91);
        RedisKey serverKey = writerDevice.ServerKey(chain[Forged]);
        Forge(ns, chain, serverKey);
        var buffer = new byte[BlockBytes];

        using (TieredKvStore restorer = NewStore(ns, secret: null, out RedisBlockDevice restorerDevice))
        {
            Assert.Equal(Forged + 2, restorer.MatchPrefix(chain).Blocks); // blocks 0..3 are on the server
            Assert.True(restorer.TryGet(chain[Forged], buffer, out int restored));
            Assert.Equal(Planted, buffer[..restored]);
            RedisTierStatistics counted = restorerDevice.GetStatistics();
            Assert.Equal((0L, 0L), (counted.AuthenticationFailures, counted.ChecksumFailures));
        }

        Assert.True(writer.TryGet(chain[Forged], buffer, out int written));
        Assert.Equal(Planted, buffer[..written]);
        Assert.Equal(0, writer.GetStatistics().Tiers[1].ChecksumFailures);
    }
}
