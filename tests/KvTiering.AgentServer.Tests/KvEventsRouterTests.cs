using KvTiering.KvEvents;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>A router in front of two servers: a <see cref="ClusterPrefixIndex"/> following both names the one that served a prompt.</summary>
public sealed class KvEventsRouterTests
{
    [Fact]
    public async Task TheIndexNamesTheServerThatServedEachPrompt()
    {
        using var flashA = new TempDirectory();
        using var flashB = new TempDirectory();
        using var serverA = new TestServerFactory(flashA.Path, KvEventsServer.Settings());
        using var serverB = new TestServerFactory(flashB.Path, KvEventsServer.Settings());
        using var index = new ClusterPrefixIndex();
        int a = Follow(index, "server-a", serverA);
        int b = Follow(index, "server-b", serverB);

        const string systemA = "You review pull requests for the storage layer and answer in one paragraph.";
        const string systemB = "You write release notes from a list of merged pull requests, newest first.";
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 2, EndUserId = "router" };
        await serverA.Chat().CompleteChatAsync([new SystemChatMessage(systemA), new UserChatMessage("Review #42.")], options);
        await serverB.Chat().CompleteChatAsync([new SystemChatMessage(systemB), new UserChatMessage("Notes for 1.4.")], options);
        ulong[] promptA = KvEventsServer.RouterHashes(serverA, systemA, "Review #42.");
        ulong[] promptB = KvEventsServer.RouterHashes(serverB, systemB, "Notes for 1.4.");

        PrefixOverlap bestA = await Best(index, promptA);
        PrefixOverlap bestB = await Best(index, promptB);
        Assert.Equal(a, bestA.Instance);
        Assert.Equal(promptA.Length, bestA.CpuBlocks);
        Assert.Equal(b, bestB.Instance);
        Assert.Equal(promptB.Length, bestB.CpuBlocks);

        // The other server holds at most the chat template's first block of each (every prompt starts with it).
        Span<PrefixOverlap> all = new PrefixOverlap[4];
        int n = index.Match(promptA, all);
        Assert.All(all[..n].ToArray().Where(o => o.Instance != a), o => Assert.True(o.Blocks <= 1, $"server-b holds {o.Blocks} of A's blocks"));
    }

    private static int Follow(ClusterPrefixIndex index, string name, TestServerFactory server)
    {
        var publisher = KvEventsServer.Publisher(server);
        int instance = index.Follow(name, publisher.Endpoint, publisher.ReplayEndpoint);
        Assert.True(publisher.WaitForSubscriber(TimeSpan.FromSeconds(60)), $"the index never subscribed to {name}");
        return instance;
    }

    /// <summary>The longest holder of <paramref name="prompt"/> once one holds all of it (the index follows asynchronously).</summary>
    private static async Task<PrefixOverlap> Best(ClusterPrefixIndex index, ulong[] prompt)
    {
        var result = new PrefixOverlap[4];
        long deadline = Environment.TickCount64 + 60_000;
        while (true)
        {
            int n = index.Match(prompt, result);
            if (n > 0 && result[0].Blocks == prompt.Length)
            {
                return result[0];
            }

            Assert.True(Environment.TickCount64 < deadline, $"no server holds all {prompt.Length} blocks after 60 s (best: {(n > 0 ? result[0].Blocks : 0)})");
            await Task.Delay(20);
        }
    }
}
