using KvTiering.Blocks;
using KvTiering.Devices;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>
/// An awaited call is bounded by the tier's <see cref="RedisTierOptions.OperationTimeout"/> on its own clock.
/// StackExchange.Redis checks a connection's AsyncTimeout only on its heartbeat (once a second), so before slow29 an
/// awaited read or write to a server answering 400 ms late under a 250 ms timeout waited for the reply and counted a
/// success (ending any back-off), or waited up to a second longer for the timeout (remote drill, part 5).
/// </summary>
public sealed class LateReplyTests
{
    // The connection's own timeout: long, so only the device's bound (on the fake clock) can end a wait.
    private static readonly TimeSpan ConnectionTimeout = TimeSpan.FromSeconds(60);

    // A hang guard well under ConnectionTimeout: the wait fails the test, it measures nothing.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    private static (ConnectionMultiplexer Connection, RedisBlockDevice Device) Hung(GarnetTestServer server, HangingRelay relay,
        FakeTimeProvider time, BlockKey[] keys)
    {
        RedisTierOptions options = Options(server, time);
        options.Configuration = $"127.0.0.1:{relay.Port}";
        options.OperationTimeout = ConnectionTimeout;
        ConnectionMultiplexer connection = RedisTier.Connect(options);
        options.OperationTimeout = TimeSpan.FromMilliseconds(250); // the device's bound; read when it is built
        var device = new RedisBlockDevice(connection, options, 8, BlockBytes);
        for (int i = 0; i < keys.Length; i++)
        {
            device.Write(i, keys[i], ParentOf(keys, i), Payload(i));
        }

        relay.Hung = true;
        return (connection, device);
    }

    [Fact]
    public async Task An_awaited_read_unanswered_at_the_operation_timeout_misses_unreachable_and_backs_off()
    {
        using var server = new GarnetTestServer();
        using var relay = new HangingRelay(server.Port);
        var time = new FakeTimeProvider();
        BlockKey[] keys = Chain(1, seed: 31);
        (ConnectionMultiplexer connection, RedisBlockDevice device) = Hung(server, relay, time, keys);
        using (connection)
        using (device)
        {
            var buffer = new byte[BlockBytes];
            Task<int> read = device.ReadAsync(0, keys[0], buffer, CancellationToken.None).AsTask();
            time.Advance(TimeSpan.FromMilliseconds(249));
            Assert.False(read.IsCompleted); // the server holds its reply; the bound has not passed

            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(-1, await read.WaitAsync(Guard)); // before slow29: still waiting (the connection's 60 s)
            Assert.Equal(ReadFailure.Unreachable, device.LastReadFailure(0));
            RedisTierStatistics stats = device.GetStatistics();
            Assert.Equal((1L, 0L), (stats.Faults, stats.Hits));
            Assert.False(device.IsAvailable); // a fault: the back-off started

            // The reply, once the server sends it, does not turn the fault into a success (the connection answers in
            // order: once a PING behind it is answered, the late reply has been taken in).
            relay.Hung = false;
            connection.GetDatabase().Ping();
            stats = device.GetStatistics();
            Assert.Equal((1L, 0L), (stats.Faults, stats.Hits));
            Assert.False(device.IsAvailable);
        }
    }

    [Fact]
    public async Task An_awaited_write_unanswered_at_the_operation_timeout_fails_counted_and_backs_off()
    {
        using var server = new GarnetTestServer();
        using var relay = new HangingRelay(server.Port);
        var time = new FakeTimeProvider();
        BlockKey[] keys = Chain(2, seed: 32);
        (ConnectionMultiplexer connection, RedisBlockDevice device) = Hung(server, relay, time, keys[..1]);
        using (connection)
        using (device)
        {
            Task write = device.WriteAsync(1, keys[1], keys[0], Payload(1), CancellationToken.None).AsTask();
            time.Advance(TimeSpan.FromMilliseconds(249));
            Assert.False(write.IsCompleted);

            time.Advance(TimeSpan.FromMilliseconds(1));
            IOException failed = await Assert.ThrowsAsync<IOException>(() => write.WaitAsync(Guard)); // before slow29: TimeoutException (the guard)
            Assert.IsType<TimeoutException>(failed.InnerException);
            RedisTierStatistics stats = device.GetStatistics();
            Assert.Equal((1L, 1L, 1L), (stats.Writes, stats.DroppedWrites, stats.Faults)); // the one write is the setup's
            Assert.False(device.IsAvailable);
            Assert.False(device.CanWriteNow); // the store places no more writes here during the back-off

            // The server's late acknowledgement changes none of it (once a PING behind it is answered, it was taken in).
            relay.Hung = false;
            connection.GetDatabase().Ping();
            stats = device.GetStatistics();
            Assert.Equal((1L, 1L, 1L), (stats.Writes, stats.DroppedWrites, stats.Faults));
            Assert.False(device.CanWriteNow);
        }
    }
}
