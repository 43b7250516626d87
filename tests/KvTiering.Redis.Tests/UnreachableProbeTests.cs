using System.Diagnostics;
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
public sealed class UnreachableProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1); // long enough for a loaded CI box's healthy calls

    /// <summary>Reads slots 0 to <paramref name="count"/> - 1 on as many threads at once; each one's result and time.</summary>
    private static (int Got, TimeSpan Took)[] ReadAtOnce(RedisBlockDevice device, BlockKey[] keys, int count)
    {
        var results = new (int, TimeSpan)[count];
        using var start = new Barrier(count);
        Thread[] threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            var buffer = new byte[BlockBytes];
            start.SignalAndWait();
            long began = Stopwatch.GetTimestamp();
            int got = device.Read(i, keys[i], buffer);
            results[i] = (got, Stopwatch.GetElapsedTime(began));
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        return results;
    }

    [Fact]
    public void After_a_back_off_one_read_probes_a_server_that_does_not_answer_and_the_others_miss_at_once()
    {
        using var server = new GarnetTestServer();
        using var relay = new HangingRelay(server.Port);
        var time = new FakeTimeProvider();
        RedisTierOptions options = Options(server, time);
        options.Configuration = $"127.0.0.1:{relay.Port}";
        options.OperationTimeout = Timeout;
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using var device = new RedisBlockDevice(connection, options, 8, BlockBytes);
        BlockKey[] keys = Chain(4, seed: 11);
        for (int i = 0; i < keys.Length; i++)
        {
            device.Write(i, keys[i], ParentOf(keys, i), Payload(i));
        }

        relay.Hung = true;
        Assert.Equal(-1, device.Read(0, keys[0], new byte[BlockBytes])); // times out: the tier backs off
        Assert.False(device.IsAvailable);
        time.Advance(options.Backoff);
        long skipped = device.GetStatistics().SkippedWhileUnavailable;

        (int Got, TimeSpan Took)[] results = ReadAtOnce(device, keys, 4);

        Assert.All(results, r => Assert.Equal(-1, r.Got));
        for (int i = 0; i < keys.Length; i++)
        {
            Assert.Equal(ReadFailure.Unreachable, device.LastReadFailure(i));
        }

        // Before, each of the four waited out the timeout; now only the probe does.
        Assert.Equal(1, results.Count(r => r.Took >= Timeout * 0.8));
        Assert.Equal(skipped + 3, device.GetStatistics().SkippedWhileUnavailable);
        Assert.False(device.IsAvailable); // the probe failed: the next back-off
    }

    [Fact]
    public void Once_the_server_answers_the_probe_goes_through_and_reads_go_together_again()
    {
        using var server = new GarnetTestServer();
        using var relay = new HangingRelay(server.Port);
        var time = new FakeTimeProvider();
        RedisTierOptions options = Options(server, time);
        options.Configuration = $"127.0.0.1:{relay.Port}";
        options.OperationTimeout = Timeout;
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using var device = new RedisBlockDevice(connection, options, 8, BlockBytes);
        BlockKey[] keys = Chain(4, seed: 12);
        for (int i = 0; i < keys.Length; i++)
        {
            device.Write(i, keys[i], ParentOf(keys, i), Payload(i));
        }

        relay.Hung = true;
        Assert.Equal(-1, device.Read(0, keys[0], new byte[BlockBytes]));
        relay.Hung = false;
        time.Advance(options.Backoff);

        var buffer = new byte[BlockBytes];
        int probed = device.Read(0, keys[0], buffer);
        Assert.True(probed == Payload(0).Length, $"probe {probed} {device.LastReadFailure(0)} {device.GetStatistics().LastFault} {device.GetStatistics().SkippedWhileUnavailable}"); // the probe: a hit
        Assert.Equal(Payload(0), buffer[..Payload(0).Length]);
        (int Got, TimeSpan Took)[] results = ReadAtOnce(device, keys, 4);
        for (int i = 0; i < keys.Length; i++)
        {
            Assert.Equal(Payload(i).Length, results[i].Got); // no read turned away once a call went through
        }
    }
}
