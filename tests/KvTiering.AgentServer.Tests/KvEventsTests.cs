using KvTiering.KvEvents;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The server's KV events as a router sees them: a real ZeroMQ subscriber (the library's) on the server's PUB and
/// replay sockets, checked against the block hashes a router computes from the served prompts' tokens.
/// </summary>
public sealed class KvEventsTests
{
    private static ChatCompletionOptions Options(string session) => new() { MaxOutputTokenCount = 4, EndUserId = session };

    [Fact]
    public async Task ServedPromptsBlocksAreStoredOnceWithTheRoutersHashesAndRemovedWhenTheyLeave()
    {
        using var flash = new TempDirectory();
        // A's snapshot (591 tokens) takes 37 blocks and a few waypoints: DRAM and flash hold two such each: the later prompts push A down, then out.
        using var server = new TestServerFactory(flash.Path, KvEventsServer.Settings(dramBlocks: 96, flashBlocks: 96));
        using KvEventRecorder events = KvEventsServer.Follow(server);
        ChatClient client = server.Chat();

        const string taskA = "Find the failing test in tests/Store and fix it.";
        ChatCompletion first = (await client.CompleteChatAsync(Conversation.FirstTurn(taskA), Options("a"))).Value;
        ulong[] a = KvEventsServer.RouterHashes(server, Conversation.System, taskA);
        Assert.Equal(first.Usage.InputTokenCount / 16, a.Length);
        await events.WaitUntil(r => r.Stored("CPU").Count >= a.Length, "prompt A's blocks stored in CPU");
        List<(ulong Hash, ulong? Parent)> stored = events.Stored("CPU");
        Assert.Equal(a, stored.Select(s => s.Hash));
        Assert.Null(stored[0].Parent); // a chain from the root, each block the parent of the next
        Assert.Equal(a[..^1].Select(h => (ulong?)h), stored.Skip(1).Select(s => s.Parent));

        // The same prompt again restores and saves nothing new; B shares A's system prompt, so only its own blocks are new.
        await client.CompleteChatAsync(Conversation.FirstTurn(taskA), Options("a"));
        const string taskB = "Summarise docs/architecture.md in five lines, then list its open questions.";
        await client.CompleteChatAsync(Conversation.FirstTurn(taskB), Options("b"));
        ulong[] b = KvEventsServer.RouterHashes(server, Conversation.System, taskB);
        int shared = a.Zip(b).TakeWhile(p => p.First == p.Second).Count();
        Assert.True(shared > 0, "A and B share their system prompt's blocks");
        await events.WaitUntil(r => r.Stored("CPU").Count >= a.Length + b.Length - shared, "prompt B's own blocks stored");
        stored = events.Stored("CPU");
        Assert.Equal([.. a, .. b[shared..]], stored.Select(s => s.Hash)); // no block stored twice
        Assert.Equal(b[shared - 1], stored[a.Length].Parent);             // B's new blocks hang off the shared prefix

        // Other conversations push A and B down to flash (stored there before removed from DRAM), then out of the
        // store. Every prompt's first block is the template's "<|im_start|>system" header, so that block stays.
        var flood = new HashSet<ulong>();
        ulong[] ab = [.. a.Union(b)];
        for (int i = 0; i < 24 && !ab.Except(flood).All(events.Removed("DISK").Contains); i++)
        {
            string system = $"{i} flood " + string.Concat(Enumerable.Repeat($"Context line {i}. ", 8));
            await client.CompleteChatAsync([new SystemChatMessage(system), new UserChatMessage("Go.")], Options($"flood-{i}"));
            flood.UnionWith(KvEventsServer.RouterHashes(server, system, "Go."));
            await Task.Delay(100);
        }

        ab = [.. ab.Except(flood)];
        Assert.True(ab.Length >= a.Length + b.Length - shared - 1, $"{ab.Length} of A's and B's blocks are theirs alone");
        await events.WaitUntil(r => ab.All(r.Removed("DISK").Contains), "A's and B's blocks removed from flash");
        IReadOnlyList<VllmKvEvent> all = events.Events;
        foreach (ulong h in ab)
        {
            int storedCpu = Position(all, Events.KvEventKind.Stored, "CPU", h);
            int removedCpu = Position(all, Events.KvEventKind.Removed, "CPU", h);
            int storedDisk = Position(all, Events.KvEventKind.Stored, "DISK", h);
            int removedDisk = Position(all, Events.KvEventKind.Removed, "DISK", h);
            Assert.True(storedCpu >= 0 && removedCpu > storedCpu, $"block {h}: stored in CPU at {storedCpu}, removed at {removedCpu}");
            Assert.True(storedDisk >= 0 && storedDisk <= removedCpu && removedDisk > storedDisk,
                $"block {h}: stored in DISK at {storedDisk} (removed from CPU at {removedCpu}), removed from DISK at {removedDisk}");
        }

        // Over the whole stream, every block alternates stored / removed in each medium: never stored twice, never
        // removed when not stored.
        var held = new HashSet<(ulong, string?)>();
        foreach (VllmKvEvent e in all.Where(e => e.Kind != Events.KvEventKind.AllCleared))
        {
            foreach (ulong h in e.BlockHashes)
            {
                bool changed = e.Kind == Events.KvEventKind.Stored ? held.Add((h, e.Medium)) : held.Remove((h, e.Medium));
                Assert.True(changed, $"block {h} {e.Kind} in {e.Medium} twice in a row");
            }
        }
    }

    [Fact]
    public async Task EventsRaisedBeforeAShutdownAreAllPublished()
    {
        using var flash = new TempDirectory();
        var server = new TestServerFactory(flash.Path, KvEventsServer.Settings());
        using KvEventRecorder events = KvEventsServer.Follow(server);
        const string task = "Bisect the regression in the flush path.";
        await server.Chat().CompleteChatAsync(Conversation.FirstTurn(task), Options("s"));
        ulong[] hashes = KvEventsServer.RouterHashes(server, Conversation.System, task);
        server.Dispose(); // at once: the pump and the publisher drain before the sockets close
        await events.WaitUntil(r => r.Stored("CPU").Count == hashes.Length, "the prompt's blocks after the shutdown");
        Assert.Equal(hashes, events.Stored("CPU").Select(s => s.Hash));
    }

    private static int Position(IReadOnlyList<VllmKvEvent> events, Events.KvEventKind kind, string medium, ulong hash)
    {
        for (int i = 0; i < events.Count; i++)
        {
            if (events[i].Kind == kind && events[i].Medium == medium && events[i].BlockHashes.Contains(hash))
            {
                return i;
            }
        }

        return -1;
    }
}
