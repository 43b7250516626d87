using AgentServer.Events;
using KvTiering.Blocks;
using Microsoft.Extensions.DependencyInjection;
using ChatRequest = AgentServer.Chat.ChatRequest;
using ServerMessage = AgentServer.Chat.ChatMessage;

namespace KvTiering.AgentServer.Tests;

/// <summary>Settings and helpers for a test server that publishes KV events on free loopback ports.</summary>
public static class KvEventsServer
{
    /// <summary>The hash seed the tests' router uses (<c>PYTHONHASHSEED</c>).</summary>
    public const string Seed = "1234";

    /// <summary>Publishing on free ports (PUB and replay), LRU in both tiers, and the given tier sizes in 16 KiB blocks.</summary>
    public static Dictionary<string, string?> Settings(int dramBlocks = 64, int flashBlocks = 1024) => new()
    {
        ["KvTiering:KvEvents:Endpoint"] = "tcp://127.0.0.1:*",
        ["KvTiering:KvEvents:ReplayEndpoint"] = "tcp://127.0.0.1:*",
        ["KvTiering:KvEvents:HashSeed"] = Seed,
        ["KvTiering:MemoryPolicy"] = "lru",
        ["KvTiering:FlashPolicy"] = "lru",
        ["KvTiering:MemoryBytes"] = (dramBlocks * 16L * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KvTiering:FlashBytes"] = (flashBlocks * 16L * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The server's publisher (built with the server).</summary>
    internal static ServerKvEvents Publisher(TestServerFactory server) => server.Services.GetRequiredService<ServerKvEvents>();

    /// <summary>A recorder following <paramref name="server"/>, subscribed before it returns.</summary>
    public static KvEventRecorder Follow(TestServerFactory server)
    {
        ServerKvEvents publisher = Publisher(server);
        var recorder = new KvEventRecorder(publisher.Endpoint, publisher.ReplayEndpoint);
        Assert.True(publisher.WaitForSubscriber(TimeSpan.FromSeconds(60)), "the subscriber never subscribed");
        return recorder;
    }

    /// <summary>The token ids the server prompts the model with for a chat of a system and a user message.</summary>
    public static int[] PromptTokens(TestServerFactory server, string system, string user)
    {
        var engine = server.Services.GetRequiredService<global::AgentServer.Engine.LlamaEngine>();
        var request = new ChatRequest
        {
            Model = "tiny",
            Messages = [new ServerMessage("system", system, [], null), new ServerMessage("user", user, [], null)],
        };
        return [.. engine.Tokenize(global::AgentServer.Chat.ChatTemplate.Render(request)).Select(t => (int)t)];
    }

    /// <summary>
    /// What a router computes for that chat: vLLM's <c>sha256_cbor</c> hashes (block size 16, <see cref="Seed"/>) of
    /// <see cref="PromptTokens"/>' full blocks, in their 64-bit event form.
    /// </summary>
    public static ulong[] RouterHashes(TestServerFactory server, string system, string user)
    {
        int[] tokens = PromptTokens(server, system, user);
        var hasher = new VllmBlockHasher(16, Seed);
        var hashes = new VllmBlockHash[hasher.BlockCount(tokens.Length)];
        int n = hasher.ComputeHashes(tokens, hashes);
        return [.. hashes.Take(n).Select(h => h.EventHash)];
    }
}
