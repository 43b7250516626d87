using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>
/// The store counts a Redis tier's failed reads by the cause the device gives (<see cref="IReadFailureReporting"/>):
/// a key the server no longer has is a lost block, a server that is down is an unreachable read, and only a value that
/// fails verification is a checksum failure. Before, all three were checksum failures.
/// </summary>
public sealed class ReadFailureCauseTests
{
    private static (long Checksum, long Lost, long Unreachable, long UnreachableFetches) Causes(TieredKvStore store)
    {
        TierStatistics redis = store.GetStatistics().Tiers[1];
        return (redis.ChecksumFailures, redis.LostBlocks, redis.UnreachableReads, redis.UnreachableFetches);
    }

    /// <summary>Blocks 0..3 of a chain, 0 and 1 demoted to the server.</summary>
    private static BlockKey[] PutFour(TieredKvStore store, int seed)
    {
        BlockKey[] chain = Chain(4, seed);
        for (int i = 0; i < chain.Length; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(chain[i], ParentOf(chain, i), Payload(i)));
        }

        Assert.Equal(1, store.TierOf(chain[0]));
        Assert.Equal(1, store.TierOf(chain[1]));
        return chain;
    }

    [Fact]
    public async Task A_key_deleted_on_the_server_is_a_lost_block_not_a_checksum_failure()
    {
        using var server = new GarnetTestServer();
        RedisTierOptions options = Options(server);
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using TieredKvStore store = NewStore(connection, options, 2, 8, out RedisBlockDevice device);
        BlockKey[] chain = PutFour(store, seed: 1);
        Assert.True(connection.GetDatabase().KeyDelete(device.ServerKey(chain[0])));

        Assert.False(store.TryGet(chain[0], new byte[BlockBytes], out _));
        Assert.Equal((0L, 1L, 0L, 0L), Causes(store));
        Assert.Equal(1, device.GetStatistics().Vanished);
        Assert.False(store.Contains(chain[0]));

        // A value garbled on the server is the checksum failure, counted apart from the lost block.
        byte[] value = connection.GetDatabase().StringGet(device.ServerKey(chain[1]))!;
        value[^1] ^= 1;
        connection.GetDatabase().StringSet(device.ServerKey(chain[1]), value);
        Assert.False((await store.TryGetAsync(chain[1], new byte[BlockBytes])).Found);
        Assert.Equal((1L, 1L, 0L, 0L), Causes(store));
    }

    [Fact]
    public async Task A_server_that_is_down_is_an_unreachable_read()
    {
        using var server = new GarnetTestServer();
        var time = new FakeTimeProvider();
        RedisTierOptions options = Options(server, time);
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using TieredKvStore store = NewStore(connection, options, 2, 8, out RedisBlockDevice device);
        BlockKey[] chain = PutFour(store, seed: 2);
        server.Stop();

        Assert.False(store.TryGet(chain[0], new byte[BlockBytes], out _));
        Assert.False((await store.TryGetAsync(chain[1], new byte[BlockBytes])).Found);
        Assert.Equal((0L, 0L, 2L, 0L), Causes(store));
        Assert.False(device.IsAvailable);
    }

    [Fact]
    public async Task A_fetch_of_a_block_only_the_server_holds_says_why_it_missed()
    {
        // A store that does not index a block asks the server for it (IRemoteBlockSource.TryFetch): a fresh process,
        // or one whose table let the block go. Before cause30 every such miss was NotResident, the server down too.
        using var server = new GarnetTestServer();
        using var relay = new HangingRelay(server.Port);
        var time = new FakeTimeProvider();
        RedisTierOptions options = Options(server, time);
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using TieredKvStore writer = NewStore(connection, options, 2, 8, out RedisBlockDevice written);
        BlockKey[] chain = PutFour(writer, seed: 3); // 0 and 1 on the server, 2 and 3 only in the writer's memory
        RedisTierOptions through = Options(server, time, options.Namespace);
        through.Configuration = $"127.0.0.1:{relay.Port}";
        through.OperationTimeout = TimeSpan.FromSeconds(1);
        using ConnectionMultiplexer relayed = RedisTier.Connect(through);
        using TieredKvStore reader = NewStore(relayed, through, 2, 8, out _, PromotionMode.Never);
        var buffer = new byte[BlockBytes];

        Assert.False(reader.TryGet(chain[2], buffer, out _, out _, out BlockMiss miss));
        Assert.Equal(BlockMiss.NotResident, miss); // the server has no such value

        byte[] value = connection.GetDatabase().StringGet(written.ServerKey(chain[1]))!;
        value[^1] ^= 1; // garbled or forged on the server
        connection.GetDatabase().StringSet(written.ServerKey(chain[1]), value);
        Assert.Equal(BlockMiss.Corrupt, (await reader.TryGetAsync(chain[1], buffer)).Miss);
        Assert.Equal((1L, 0L, 0L, 0L), Causes(reader));

        relay.Hung = true; // the server holds block 0 but does not answer: a timeout, then the back-off
        Assert.False(reader.TryGet(chain[0], buffer, out _, out _, out miss));
        Assert.Equal(BlockMiss.Unreachable, miss);
        Assert.Equal(BlockMiss.Unreachable, (await reader.TryGetAsync(chain[0], buffer)).Miss);
        var reads = new BlockRead[2];
        Assert.Equal(0, await reader.ReadBatchAsync(new[] { chain[0], chain[2] }, new byte[2 * BlockBytes], reads));
        Assert.Equal([BlockMiss.Unreachable, BlockMiss.Unreachable], reads.Select(r => r.Miss)); // not asked: not known absent
        Assert.Equal((1L, 0L, 0L, 4L), Causes(reader)); // fetches of another store's blocks: not reads of resident ones

        relay.Hung = false; // back: the block was there all along
        Assert.True(Eventually(time, () => reader.TryGet(chain[0], buffer, out int length) && length == Payload(0).Length));
        Assert.Equal(Payload(0), buffer[..Payload(0).Length]);
    }
}
