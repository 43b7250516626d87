using KvTiering.Blocks;
using KvTiering.LLamaSharp;
using KvTiering.Store;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// A shared prefix a restore saves as a snapshot of its own (<see cref="LlamaPrefixCacheOptions.SaveSharedPrefixes"/>)
/// is published as a turn's save is: a router keeps its blocks when the sessions that shared it go. Before, only a
/// turn's save was published, so the shared prefix's blocks were removed with the last session holding them, though
/// the server could still restore them, until a resync found the snapshot.
/// </summary>
public sealed class SharedPrefixEventsTests
{
    // The shared system prompt (about 20 blocks): a prompt that leaves A's snapshot inside it restores through a
    // waypoint (one every 8 blocks).
    private static readonly string System = Conversation.System;

    private static ChatCompletionOptions Options(string session) => new() { MaxOutputTokenCount = 4, EndUserId = session };

    [Fact]
    public async Task A_shared_prefix_saved_by_a_restore_stays_published_when_the_sessions_sharing_it_leave()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path, KvEventsServer.Settings(dramBlocks: 1024, flashBlocks: 1024)); // nothing demoted
        using KvEventRecorder events = KvEventsServer.Follow(server);
        ChatClient client = server.Chat();
        var cache = server.Services.GetRequiredService<LlamaPrefixCache>();

        // A's task is long, so B (the same system prompt, another task) leaves A's snapshot well before its end.
        string taskA = "Find the failing test in tests/Store and fix it. " +
            string.Concat(Enumerable.Range(0, 5).Select(i => $"Step {i}: check the log of run {i * 7}. "));
        const string taskB = "Summarise docs/architecture.md in five lines.";
        await client.CompleteChatAsync([new SystemChatMessage(System), new UserChatMessage(taskA)], Options("a"));
        long savesAfterA = cache.GetStatistics().Saves;
        await client.CompleteChatAsync([new SystemChatMessage(System), new UserChatMessage(taskB)], Options("b"));
        Assert.Equal(savesAfterA + 2, cache.GetStatistics().Saves); // B's restore saved the shared prefix, then B's turn

        ulong[] a = KvEventsServer.RouterHashes(server, System, taskA);
        ulong[] b = KvEventsServer.RouterHashes(server, System, taskB);
        int shared = a.Zip(b).TakeWhile(p => p.First == p.Second).Count();
        Assert.True(shared >= 8 && a.Length - shared >= 8, $"A and B share {shared} of A's {a.Length} blocks");
        await events.WaitUntil(r => r.Stored("CPU").Count >= a.Length + b.Length - shared, "A's and B's blocks stored");

        // Both sessions' snapshots leave the store (as eviction would take them); the shared prefix's stays.
        TieredKvStore store = server.Services.GetRequiredService<TieredKvStore>();
        Assert.True(store.Remove(Manifest(server, System, taskA)));
        Assert.True(store.Remove(Manifest(server, System, taskB)));
        ulong[] own = [.. a[shared..], .. b[shared..]];
        await events.WaitUntil(r => own.All(r.Removed("CPU").Contains), "A's and B's own blocks removed");

        await Task.Delay(200); // anything the same settle removed has arrived by now
        Assert.Empty(events.Removed("CPU").Intersect(a[..shared])); // still held: the shared prefix's snapshot
    }

    /// <summary>The manifest key of the snapshot a turn of <paramref name="system"/> and <paramref name="user"/> saved.</summary>
    private static BlockKey Manifest(TestServerFactory server, string system, string user)
    {
        int[] tokens = KvEventsServer.PromptTokens(server, system, user);
        var hasher = server.Services.GetRequiredService<global::AgentServer.Engine.LlamaEngine>().Hasher;
        var keys = new BlockKey[hasher.BlockCount(tokens.Length)];
        int n = hasher.ComputeKeys(tokens, keys);
        Span<BlockKey> pieces = stackalloc BlockKey[1];
        LlamaPrefixCache.GetSnapshotKeys(keys[n - 1], pieces); // its manifest first
        return pieces[0];
    }
}
