using System.Buffers.Binary;
using System.Text.RegularExpressions;
using KvTiering.Events;
using KvTiering.Store;
using KvTiering.Testing;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents.Tests;

/// <summary>The logic behind <c>kvtier hash --scheme vllm</c> and <c>kvtier simulate --kv-events</c>.</summary>
public sealed partial class ReplayKvEventsTests
{
    [Fact]
    public void HashLines_AreTheKeySpecVectors()
    {
        Assert.Equal(
            [
                "c9d58ba695280d69b243e1e0df813136ca9196b286fb1a021e0b2e028ef071cb 2164874634404590027",
                "24125b23e68883b5c2141db2959d48433fe6bde2f26bd914efad121d154ab2d6 17270480062156288726",
            ],
            VllmHashLines.Compute(4, "0", VllmHashLines.ParseTokens("1,2,3,4,5,6,7,8,9")));
        Assert.Equal(
            "827d8eac70869638f0737d1a3a18d06dea577e987c0799283eab2be80654638e 4515751326907655054",
            VllmHashLines.Compute(4, "42", VllmHashLines.ParseTokens(" 100000, 23,0,65535"), "tenant-a", "sql-adapter")[0]);
        Assert.Empty(VllmHashLines.ParseTokens(""));
        Assert.Contains("Token 3 of --tokens is 'x'", Assert.Throws<FormatException>(() => VllmHashLines.ParseTokens("1,2,x")).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_WaitsForItsFirstSubscriber_WhoMissesNothing()
    {
        using TieredKvStore store = TestStores.HbmOverDram(2, 4);
        var log = new WatchedWriter();
        // An ephemeral port the publisher binds itself and logs (a port found free first could be taken meanwhile).
        Task<IDisposable?> attaching = Task.Run(() => ReplayKvEvents.Attach("tcp://127.0.0.1:*", log)(store));
        string endpoint = log.WaitFor(Listening(), TimeSpan.FromSeconds(60)).Groups[1].Value;
        Thread.Sleep(200); // the replay's publisher is up and waiting before the subscriber exists
        Assert.False(attaching.IsCompleted);
        using var sub = new SubscriberSocket();
        sub.Connect(endpoint);
        sub.Subscribe("");
        IDisposable? session = await attaching.WaitAsync(TimeSpan.FromSeconds(60)); // throws if it never saw the subscriber
        TestStores.PutChain(store, TestStores.Chain(3));
        session!.Dispose(); // flushes and reports

        var events = new List<VllmKvEvent>();
        var message = new NetMQMessage();
        long? expected = null;
        // Receive until the expected events are in (60 s at most), then until a second passes without one (so extras
        // still show). Ending at the first second of silence lost the tail whenever a loaded machine held NetMQ's I/O
        // threads that long before the last batches went out.
        long deadline = Environment.TickCount64 + 60_000;
        while (sub.TryReceiveMultipartMessage(
            Count(events, KvEventKind.Stored) >= 4 && Count(events, KvEventKind.Removed) >= 1 ? TimeSpan.FromSeconds(1)
                : TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64)), ref message))
        {
            long sequence = BinaryPrimitives.ReadInt64BigEndian(message[1].Buffer);
            Assert.Equal(expected ?? sequence, sequence); // consecutive from the first batch on
            expected = sequence + 1;
            events.AddRange(VllmWireFormat.Decode(message[2].ToByteArray()).Events);
        }

        Assert.Equal(KvEventKind.AllCleared, events[0].Kind); // the snapshot batch was held for the subscriber
        // Three blocks into two HBM slots: three stored in HBM, the first demoted (removed from HBM, stored in DRAM).
        Assert.Equal(4, Count(events, KvEventKind.Stored));
        Assert.Equal(1, Count(events, KvEventKind.Removed));
        Assert.Contains("0 dropped", log.ToString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ReplayKvEvents.Start(store, "localhost:5557", TimeSpan.Zero));
    }

    [Fact]
    public void NoSubscriber_IsReported_AndTheReplayGoesOn()
    {
        using TieredKvStore store = TestStores.HbmOverDram(2, 4);
        var log = new StringWriter();
        using ZmqKvEventPublisher publisher = ReplayKvEvents.Start(store, "tcp://127.0.0.1:*", TimeSpan.FromMilliseconds(100), log);
        Assert.Contains("no subscriber", log.ToString(), StringComparison.Ordinal);
        TestStores.PutChain(store, TestStores.Chain(1));
        Assert.True(publisher.Flush(TimeSpan.FromSeconds(60)));
        Assert.True(publisher.EventsPublished >= 2);
    }

    private static int Count(List<VllmKvEvent> events, KvEventKind kind) =>
        events.Where(e => e.Kind == kind).Sum(e => e.BlockHashes.Length);

    [GeneratedRegex(@"^kv-events: listening on (tcp://\S+)")]
    private static partial Regex Listening();
}
