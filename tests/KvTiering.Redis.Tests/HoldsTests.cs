using KvTiering.Blocks;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>
/// <see cref="RedisBlockDevice.Holds"/> (fleet30): which keys of a set the server holds, every key's header read in one
/// pipelined batch; a value counts only when its header is the key's own, and a server that cannot be asked holds none.
/// What a store asks (<see cref="TieredKvStore.Holds"/>) for the keys its tiers lack: a server of a fleet finding the
/// snapshot another server left in Garnet.
/// </summary>
public sealed class HoldsTests(GarnetFixture fixture) : IClassFixture<GarnetFixture>
{
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)(i * 5)).ToArray();

    private RedisBlockDevice NewDevice(string ns, int slots = 8, byte[]? secret = null) =>
        new(fixture.Connection, Options(fixture.Server, ns: ns), slots, BlockBytes, secret);

    private static string NewNamespace() => "holds" + Guid.NewGuid().ToString("N");

    [Fact]
    public void Present_absent_forged_and_foreign_values_in_one_round_trip()
    {
        string ns = NewNamespace();
        using RedisBlockDevice device = NewDevice(ns, slots: 600);
        using RedisBlockDevice otherModel = NewDevice(NewNamespace());
        BlockKey[] keys = Chain(600, seed: 60); // more than a prefix match's batch of 256: still one batch
        var payload = new byte[16];
        for (int i = 0; i < keys.Length; i += 3)
        {
            device.Write(i, keys[i], ParentOf(keys, i), payload);
        }

        fixture.Database.StringSetRange(device.ServerKey(keys[3]), 20, new byte[] { 0xFF }); // a key byte of the header
        fixture.Database.StringSet(device.ServerKey(keys[6]), "not a block"); // another format's value under the key
        fixture.Database.StringSet(device.ServerKey(keys[9]), fixture.Database.StringGet(device.ServerKey(keys[12]))); // another key's block
        otherModel.Write(0, keys[1], Hasher.Root, payload); // another namespace's value: another server key
        var held = new bool[keys.Length];

        int count = device.Holds(keys, held);
        for (int i = 0; i < keys.Length; i++)
        {
            Assert.Equal(i % 3 == 0 && i is not (3 or 6 or 9), held[i]);
        }

        Assert.Equal(200 - 3, count);
        RedisTierStatistics stats = device.GetStatistics();
        Assert.Equal(1, stats.HoldsQueries);
        Assert.Equal(0, stats.Fetches); // headers only: nothing fetched, nothing deleted
        Assert.True(fixture.Database.KeyExists(device.ServerKey(keys[3])));
        Assert.Equal(0, device.Holds([], []));
        Assert.Equal("held", Assert.Throws<ArgumentException>(() => device.Holds(keys, new bool[1])).ParamName);
    }

    [Fact]
    public void With_authentication_a_value_without_the_seal_is_not_held()
    {
        string ns = NewNamespace();
        using RedisBlockDevice sealedDevice = NewDevice(ns, secret: Secret);
        using RedisBlockDevice forger = NewDevice(ns); // valid checksums, no seal
        BlockKey[] keys = Chain(2, seed: 61);
        sealedDevice.Write(0, keys[0], Hasher.Root, Payload(0));
        forger.Write(1, keys[1], keys[0], Payload(1));
        var held = new bool[2];

        Assert.Equal(1, sealedDevice.Holds(keys, held));
        Assert.Equal([true, false], held);
    }

    [Fact]
    public void A_server_that_does_not_answer_holds_nothing_and_is_not_asked_while_backed_off()
    {
        string ns = NewNamespace();
        using RedisBlockDevice writer = NewDevice(ns);
        BlockKey[] keys = Chain(3, seed: 62);
        for (int i = 0; i < keys.Length; i++)
        {
            writer.Write(i, keys[i], ParentOf(keys, i), Payload(i));
        }

        using var relay = new HangingRelay(fixture.Server.Port);
        var time = new FakeTimeProvider();
        RedisTierOptions through = Options(fixture.Server, time, ns);
        through.Configuration = $"127.0.0.1:{relay.Port}";
        through.OperationTimeout = TimeSpan.FromSeconds(1);
        using ConnectionMultiplexer relayed = RedisTier.Connect(through);
        using var device = new RedisBlockDevice(relayed, through, 8, BlockBytes);
        var held = new bool[3];
        Assert.Equal(3, device.Holds(keys, held));

        relay.Hung = true;
        held.AsSpan().Fill(true);
        Assert.Equal(0, device.Holds(keys, held)); // timed out: no exception
        Assert.Equal([false, false, false], held);
        Assert.False(device.IsAvailable);
        long sent = device.GetStatistics().HoldsQueries;
        Assert.Equal(0, device.Holds(keys, held)); // backed off: answered without the network
        Assert.Equal(sent, device.GetStatistics().HoldsQueries);

        relay.Hung = false;
        Assert.True(Eventually(time, () => device.Holds(keys, held) == 3));
    }

    [Fact]
    public void A_store_that_never_held_the_blocks_finds_them_on_the_server()
    {
        using var server = new GarnetTestServer();
        RedisTierOptions options = Options(server);
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using TieredKvStore writer = NewStore(connection, options, 2, 8, out _);
        BlockKey[] chain = Chain(4, seed: 63);
        for (int i = 0; i < chain.Length; i++)
        {
            Assert.Equal(PutResult.Stored, writer.Put(chain[i], ParentOf(chain, i), Payload(i)));
        }

        // Blocks 0 and 1 were demoted to the server; 2 and 3 are only in the writer's memory.
        using TieredKvStore reader = NewStore(connection, options, 2, 8, out RedisBlockDevice device);
        var held = new bool[4];
        Assert.Equal(2, reader.Holds(chain, held));
        Assert.Equal([true, true, false, false], held);
        Assert.Equal(1, device.GetStatistics().HoldsQueries);
        Assert.False(reader.Contains(chain[0])); // asked, not adopted
    }
}
