using System.Buffers.Binary;
using AgentServer.Events;
using KvTiering.Events;
using KvTiering.KvEvents;
using NetMQ;
using NetMQ.Sockets;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// A server restarted on its flash directory publishes the prompts it can restore from there before any request, with
/// the router's hashes, in <c>DISK</c>, once; a subscriber that joins later gets them from the replay socket.
/// </summary>
public sealed class KvEventsRestartTests
{
    private const string TaskA = "Find the failing test in tests/Store and fix it.";
    private const string TaskB = "Summarise docs/architecture.md in five lines, then list its open questions.";

    private static ChatCompletionOptions Options(string session) => new() { MaxOutputTokenCount = 4, EndUserId = session };

    [Fact]
    public async Task ARestartedServerPublishesTheSnapshotsItKeptBeforeAnyRequestAndReplaysThem()
    {
        using var flash = new TempDirectory();
        ulong[] a;
        ulong[] b;
        using (var before = new TestServerFactory(flash.Path, KvEventsServer.Settings()))
        {
            await before.Chat().CompleteChatAsync(Conversation.FirstTurn(TaskA), Options("a"));
            await before.Chat().CompleteChatAsync(Conversation.FirstTurn(TaskB), Options("b"));
            a = KvEventsServer.RouterHashes(before, Conversation.System, TaskA);
            b = KvEventsServer.RouterHashes(before, Conversation.System, TaskB);
        } // stopping flushes DRAM to flash: both snapshots are on flash now

        ulong[] expected = [.. a.Union(b)];
        using var after = new TestServerFactory(flash.Path, KvEventsServer.Settings());
        ServerKvEvents publisher = KvEventsServer.Publisher(after); // builds the server; no request is sent before the checks

        // A subscriber that joins late asks the replay socket for everything from sequence 0.
        List<VllmKvEvent> replayed = [];
        long deadline = Environment.TickCount64 + 60_000;
        while (Stored(replayed, "DISK").Count < expected.Length && Environment.TickCount64 < deadline)
        {
            await Task.Delay(100);
            replayed = Replay(publisher.ReplayEndpoint!);
        }

        Assert.Equal(KvEventKind.AllCleared, replayed[0].Kind);
        List<(ulong Hash, ulong? Parent)> stored = Stored(replayed, "DISK");
        Assert.True(stored.Count == expected.Length, $"stored in DISK {stored.Count} blocks, expected {expected.Length}: {Describe(replayed)}");
        Assert.Equal(expected.Order(), stored.Select(s => s.Hash).Order()); // each block once: the shared system prompt too
        Assert.Empty(Stored(replayed, "CPU"));                                // where a restore would read them: flash
        Assert.DoesNotContain(replayed, e => e.Kind == KvEventKind.Removed);
        foreach (ulong[] prompt in new[] { a, b })
        {
            // Each prompt's chain as a router links it: the first block from the root, every other under its predecessor.
            Dictionary<ulong, ulong?> parents = stored.ToDictionary(s => s.Hash, s => s.Parent);
            Assert.Null(parents[prompt[0]]);
            Assert.Equal(prompt[..^1].Select(h => (ulong?)h), prompt[1..].Select(h => parents[h]));
        }

        Assert.Equal(2, publisher.PromptsFound);

        // The same prompt again restores from flash and saves nothing new. The restore reads its chunks where they lie
        // (TieredKvStore.ReadBatchAsync: none promoted), so its blocks stay in DISK: nothing moves, nothing is published
        // again. (Before restore26 the restore promoted every chunk, and A's blocks moved to CPU.)
        using KvEventRecorder live = KvEventsServer.Follow(after);
        ChatCompletion again = (await after.Chat().CompleteChatAsync(Conversation.FirstTurn(TaskA), Options("a"))).Value;
        Assert.True(again.Usage.InputTokenDetails!.CachedTokenCount > 0, "the restarted server restored nothing");
        await Task.Delay(500); // anything published would have arrived by now
        Assert.DoesNotContain(live.Stored("CPU"), s => a.Contains(s.Hash));
        List<VllmKvEvent> all = Replay(publisher.ReplayEndpoint!); // the whole run, startup included
        Assert.DoesNotContain(all, e => e.Kind == KvEventKind.Removed); // A never left DISK
        Assert.Equal(2, publisher.PromptsFound);
        var held = new HashSet<(ulong, string?)>();
        foreach (VllmKvEvent e in all.Where(e => e.Kind != KvEventKind.AllCleared))
        {
            foreach (ulong h in e.BlockHashes)
            {
                bool changed = e.Kind == KvEventKind.Stored ? held.Add((h, e.Medium)) : held.Remove((h, e.Medium));
                Assert.True(changed, $"block {h} {e.Kind} in {e.Medium} twice in a row: {Describe(all)}");
            }
        }
    }

    /// <summary>What a subscriber that joins late gets: every buffered batch from sequence 0, as vLLM's replay client asks.</summary>
    private static List<VllmKvEvent> Replay(string endpoint)
    {
        using var dealer = new DealerSocket();
        dealer.Connect(endpoint);
        dealer.SendMoreFrameEmpty().SendFrame(new byte[8]);
        var events = new List<VllmKvEvent>();
        var reply = new NetMQMessage();
        while (dealer.TryReceiveMultipartMessage(TimeSpan.FromSeconds(60), ref reply))
        {
            Assert.Equal(3, reply.FrameCount);
            if (BinaryPrimitives.ReadInt64BigEndian(reply[1].Buffer) == -1)
            {
                return events;
            }

            events.AddRange(VllmWireFormat.Decode(reply[2].ToByteArray()).Events);
        }

        Assert.Fail("the replay socket sent no end marker in 60 s");
        return events;
    }

    private static List<(ulong Hash, ulong? Parent)> Stored(List<VllmKvEvent> events, string medium) =>
        [.. events.Where(e => e.Kind == KvEventKind.Stored && e.Medium == medium)
            .SelectMany(e => e.BlockHashes.Select((h, i) => (h, i == 0 ? e.ParentBlockHash : e.BlockHashes[i - 1])))];

    private static string Describe(List<VllmKvEvent> events) => string.Join("; ", events.Select(e =>
        $"{e.Kind}({e.Medium}, {e.BlockHashes.Length} blocks{(e.ParentBlockHash is { } p ? $", parent {p}" : "")})"));
}
