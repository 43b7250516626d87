using System.Text;
using KvTiering.Blocks;
using KvTiering.Devices;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>
/// A server that stops answering costs each call that goes to it a whole <c>OperationTimeout</c>. A store keeps the
/// blocks of a tier it cannot reach, so once a back-off ends every request thread's next lookup of one went to the
/// server; now one read probes it and the others miss at once, unreachable, until a call goes through.
/// </summary>
/// <remarks>
/// Nothing here is timed (a loaded 2-core box stretches any duration): the back-off starts from a cut connection, not a
/// timeout, and ends when the connection is restored (the fake clock never moves); the probe is held at a relay that
/// passes no reply on, with an <c>OperationTimeout</c> far longer than the test, while the other reads run; the relay
/// counts the block calls that reach it. Before polish30 these tests asserted durations.
/// </remarks>
public sealed class UnreachableProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60); // never reached: the probe is released by the test

    /// <summary>A device behind <paramref name="relay"/> holding blocks 0 to 3 of <paramref name="keys"/>.</summary>
    private static (ConnectionMultiplexer Connection, RedisBlockDevice Device) Connect(GarnetTestServer server, HangingRelay relay,
        FakeTimeProvider time, BlockKey[] keys)
    {
        RedisTierOptions options = Options(server, time);
        options.Configuration = $"127.0.0.1:{relay.Port}";
        options.OperationTimeout = Timeout;
        relay.Marker = Encoding.UTF8.GetBytes(options.Namespace);
        ConnectionMultiplexer connection = RedisTier.Connect(options);
        var device = new RedisBlockDevice(connection, options, 8, BlockBytes);
        for (int i = 0; i < keys.Length; i++)
        {
            device.Write(i, keys[i], ParentOf(keys, i), Payload(i));
        }

        return (connection, device);
    }

    /// <summary>
    /// Cuts the connection so the next read faults at once (no server) and starts a back-off, then lets the client
    /// reconnect, which ends the back-off (<c>OnRestored</c>): the next read probes, as after a back-off that ran out.
    /// </summary>
    private static void BackOffAndRecover(ConnectionMultiplexer connection, RedisBlockDevice device, HangingRelay relay, BlockKey key)
    {
        relay.Refusing = true;
        relay.Cut();
        Until(() => !connection.IsConnected, "the client saw the cut");
        Assert.Equal(-1, device.Read(0, key, new byte[BlockBytes]));
        Assert.False(device.IsAvailable);
        relay.Refusing = false;
        Until(() => connection.IsConnected && device.IsAvailable, "the restored connection ended the back-off");
    }

    /// <summary>Waits for <paramref name="condition"/>; a 30 s bound (not a measurement) that only a hang reaches.</summary>
    private static void Until(Func<bool> condition, string what)
    {
        long giveUp = Environment.TickCount64 + 30_000;
        while (!condition() && Environment.TickCount64 < giveUp)
        {
            Thread.Sleep(10);
        }

        Assert.True(condition(), what);
    }

    /// <summary>Reads slots <paramref name="first"/> to 3 on as many threads at once.</summary>
    private static Task<int>[] ReadAtOnce(RedisBlockDevice device, BlockKey[] keys, int first)
    {
        int count = keys.Length - first;
        var start = new Barrier(count);
        return Enumerable.Range(first, count).Select(i => Task.Factory.StartNew(() =>
        {
            var buffer = new byte[BlockBytes];
            start.SignalAndWait();
            return device.Read(i, keys[i], buffer);
        }, TaskCreationOptions.LongRunning)).ToArray();
    }

    [Fact]
    public async Task After_a_back_off_one_read_probes_a_server_that_does_not_answer_and_the_others_miss_at_once()
    {
        using var server = new GarnetTestServer();
        using var relay = new HangingRelay(server.Port);
        var time = new FakeTimeProvider();
        BlockKey[] keys = Chain(4, seed: 11);
        (ConnectionMultiplexer connection, RedisBlockDevice device) = Connect(server, relay, time, keys);
        using (connection)
        using (device)
        {
            BackOffAndRecover(connection, device, relay, keys[0]);
            relay.Hung = true;
            int before = relay.MarkedRequests;
            long skipped = device.GetStatistics().SkippedWhileUnavailable;
            Task<int> probe = Task.Factory.StartNew(() => device.Read(0, keys[0], new byte[BlockBytes]), TaskCreationOptions.LongRunning);
            Until(() => relay.MarkedRequests == before + 1, "the probe reached the relay");

            // While the probe waits for its reply, three reads at once: each answers without going to the server.
            Task<int>[] others = ReadAtOnce(device, keys, first: 1);
            Until(() => others.All(t => t.IsCompleted) || relay.MarkedRequests > before + 1, "the other reads answered");
            int reached = relay.MarkedRequests - before;
            bool probing = !probe.IsCompleted;
            relay.Hung = false; // let everything held go before asserting, so a failure does not leave reads waiting

            Assert.Equal(1, reached); // before remote26: all four went to the server and each waited out the timeout
            Assert.True(probing, "the others answered while the probe was still out");
            Assert.All(await Task.WhenAll(others), got => Assert.Equal(-1, got));
            for (int i = 1; i < keys.Length; i++)
            {
                Assert.Equal(ReadFailure.Unreachable, device.LastReadFailure(i));
            }

            Assert.Equal(skipped + 3, device.GetStatistics().SkippedWhileUnavailable);
            Assert.Equal(Payload(0).Length, await probe); // the held reply flowed: the probe hit
            Assert.True(device.IsAvailable);
        }
    }

    [Fact]
    public async Task Once_the_server_answers_the_probe_goes_through_and_reads_go_together_again()
    {
        using var server = new GarnetTestServer();
        using var relay = new HangingRelay(server.Port);
        var time = new FakeTimeProvider();
        BlockKey[] keys = Chain(4, seed: 12);
        (ConnectionMultiplexer connection, RedisBlockDevice device) = Connect(server, relay, time, keys);
        using (connection)
        using (device)
        {
            BackOffAndRecover(connection, device, relay, keys[0]);

            var buffer = new byte[BlockBytes];
            int probed = device.Read(0, keys[0], buffer);
            Assert.True(probed == Payload(0).Length, $"probe {probed} {device.LastReadFailure(0)} {device.GetStatistics().LastFault} {device.GetStatistics().SkippedWhileUnavailable}"); // the probe: a hit
            Assert.Equal(Payload(0), buffer[..Payload(0).Length]);
            long skipped = device.GetStatistics().SkippedWhileUnavailable;
            int[] results = await Task.WhenAll(ReadAtOnce(device, keys, first: 0));
            for (int i = 0; i < keys.Length; i++)
            {
                Assert.Equal(Payload(i).Length, results[i]); // no read turned away once a call went through
            }

            Assert.Equal(skipped, device.GetStatistics().SkippedWhileUnavailable);
        }
    }
}
