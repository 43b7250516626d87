using KvTiering.Blocks;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>
/// <see cref="RedisBlockDevice.HoldsAsync"/>: the which-keys query of <see cref="HoldsTests"/> awaited, as a restore
/// asks it through <see cref="TieredKvStore.HoldsAsync"/>: the same answers, and a server that does not answer ends the
/// wait at the operation timeout on the tier's clock (no thread blocked meanwhile).
/// </summary>
public sealed class HoldsAsyncTests(GarnetFixture fixture) : IClassFixture<GarnetFixture>
{
    [Fact]
    public async Task Awaited_it_answers_as_the_synchronous_query_and_a_hung_server_ends_it_at_the_timeout()
    {
        string ns = "holdsasync" + Guid.NewGuid().ToString("N");
        using var writer = new RedisBlockDevice(fixture.Connection, Options(fixture.Server, ns: ns), 8, BlockBytes);
        BlockKey[] chain = Chain(4, seed: 71);
        for (int i = 0; i < 3; i++)
        {
            writer.Write(i, chain[i], ParentOf(chain, i), Payload(i)); // the fourth is never written
        }

        using var relay = new HangingRelay(fixture.Server.Port);
        var time = new FakeTimeProvider();
        RedisTierOptions through = Options(fixture.Server, time, ns);
        through.Configuration = $"127.0.0.1:{relay.Port}";
        through.OperationTimeout = TimeSpan.FromSeconds(1);
        using ConnectionMultiplexer relayed = RedisTier.Connect(through);
        using var device = new RedisBlockDevice(relayed, through, 8, BlockBytes);
        var held = new bool[4];

        Assert.Equal(3, await device.HoldsAsync(chain, held, CancellationToken.None));
        Assert.Equal([true, true, true, false], held);
        Assert.Equal(device.Holds(chain, new bool[4]), await device.HoldsAsync(chain, new bool[4], CancellationToken.None));

        relay.Hung = true;
        held.AsSpan().Fill(true);
        ValueTask<int> pending = device.HoldsAsync(chain, held, CancellationToken.None);
        Assert.False(pending.IsCompleted); // waiting for the server, on no thread
        time.Advance(through.OperationTimeout);
        Assert.Equal(0, await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([false, false, false, false], held);
        Assert.False(device.IsAvailable); // the timeout is a fault: backed off
        long sent = device.GetStatistics().HoldsQueries;
        Assert.Equal(0, await device.HoldsAsync(chain, held, CancellationToken.None)); // answered without the network
        Assert.Equal(sent, device.GetStatistics().HoldsQueries);
        Assert.Equal("held", (await Assert.ThrowsAsync<ArgumentException>(() => device.HoldsAsync(chain, new bool[1], CancellationToken.None).AsTask())).ParamName);
    }
}
