using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

public sealed class CachingTests
{
    private static readonly ChatCompletionOptions Greedy = new() { MaxOutputTokenCount = 6, EndUserId = "session-a" };

    [Fact]
    public async Task SecondTurnRestoresThePrefixAndGeneratesWhatAnUncachedServerGenerates()
    {
        using var flash = new TempDirectory();
        using var cached = new TestServerFactory(flash.Path);
        ChatClient client = cached.Chat();
        List<ChatMessage> messages = Conversation.FirstTurn("Find the failing test in tests/Store and fix it.");

        ChatCompletion first = (await client.CompleteChatAsync(messages, Greedy)).Value;
        Assert.Equal(0, first.Usage.InputTokenDetails?.CachedTokenCount ?? 0);
        Assert.Equal(ChatFinishReason.Length, first.FinishReason);
        Assert.Equal(6, first.Usage.OutputTokenCount);
        string firstReply = first.Content[0].Text;
        Assert.NotEmpty(firstReply);

        messages.Add(new AssistantChatMessage(firstReply));
        messages.Add(new UserChatMessage("The test still fails with a timeout; look at the flush path."));
        ChatCompletion second = (await client.CompleteChatAsync(messages, Greedy)).Value;
        int cachedTokens = second.Usage.InputTokenDetails!.CachedTokenCount;
        Assert.True(cachedTokens > 0, "the second turn restored nothing");
        Assert.True(cachedTokens < second.Usage.InputTokenCount);
        Assert.True(cachedTokens >= first.Usage.InputTokenCount - 16 - 2, $"restored {cachedTokens} of the first prompt's {first.Usage.InputTokenCount}");

        // The same two requests against a server with no prefix cache: greedy decoding, so the same tokens.
        using var flash2 = new TempDirectory();
        using var uncached = new TestServerFactory(flash2.Path, new Dictionary<string, string?> { ["AgentServer:PrefixCache"] = "false" });
        ChatCompletion reference = (await uncached.Chat().CompleteChatAsync(messages, Greedy)).Value;
        Assert.Equal(0, reference.Usage.InputTokenDetails?.CachedTokenCount ?? 0);
        Assert.Equal(reference.Usage.InputTokenCount, second.Usage.InputTokenCount);
        Assert.Equal(reference.Content[0].Text, second.Content[0].Text);

        // Streaming the same turn again restores the longer prefix and streams the same text.
        var streamed = new System.Text.StringBuilder();
        int? streamedCached = null;
        var streamOptions = new ChatCompletionOptions { MaxOutputTokenCount = 6, EndUserId = "session-a" };
        await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync(messages, streamOptions))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            streamedCached ??= update.Usage?.InputTokenDetails?.CachedTokenCount;
        }

        Assert.Equal(reference.Content[0].Text, streamed.ToString());
        Assert.True(streamedCached > cachedTokens, $"the repeated turn restored {streamedCached}, the first time {cachedTokens}");
    }

    [Fact]
    public async Task AfterARestartAFlashResidentPrefixStillHits()
    {
        using var flash = new TempDirectory();
        List<ChatMessage> messages = await SecondTurnAfterARestart(flash.Path, "Summarise docs/architecture.md in five lines.", "Now in three lines.");
        using var after = new TestServerFactory(flash.Path);
        HttpClient http = after.CreateClient();
        ChatCompletion second = (await after.Chat().CompleteChatAsync(messages, Greedy)).Value;
        Assert.True(second.Usage.InputTokenDetails!.CachedTokenCount > 0, "the restarted server restored nothing from flash");
        string state = await http.GetStringAsync("/api/state");
        Assert.Contains("\"source\":\"flash\"", state, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AQueuedRequestPrefetchesItsFlashPrefixAndRestoresItFromDram()
    {
        using var flash = new TempDirectory();
        List<ChatMessage> messages = await SecondTurnAfterARestart(flash.Path, "List the flaky tests and why they flake.", "Fix the first one.");
        // A context long enough that the holding reply below cannot end by itself before the test hangs it up: the
        // tiny test model decodes a token in well under a millisecond, so a reply of a few thousand tokens ended
        // before a loaded machine's prefetch did, and the prefetch was cancelled (the test failed 2 runs in 20).
        using var after = new TestServerFactory(flash.Path, new Dictionary<string, string?>
        {
            ["AgentServer:Sequences"] = "1",
            ["AgentServer:ContextSize"] = "65536",
        });
        HttpClient http = after.CreateClient();

        // A long streamed reply of another session holds the only sequence, so the next turn has to queue. The test
        // waits for the server to say so (not for a sleep), so a slow machine cannot let the hold end first.
        using var holding = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"messages": [{"role": "user", "content": "count to a thousand"}], "max_tokens": 65000, "stream": true, "user": "other"}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        HttpResponseMessage streaming = await http.SendAsync(holding, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await streaming.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync());

        Task<System.ClientModel.ClientResult<ChatCompletion>> queued = after.Chat().CompleteChatAsync(messages, Greedy);
        await Until(http, "/api/state", @"""waiting"":1\b");
        await Until(http, "/metrics", @"agentserver_prefetched_blocks(_total)?(\{[^}]*\})? [1-9]"); // moved up while it waited

        // The other client hangs up: its sequence frees and the queued turn runs.
        reader.Dispose();
        streaming.Dispose();
        ChatCompletion second = (await queued).Value;

        Assert.True(second.Usage.InputTokenDetails!.CachedTokenCount > 0, "the queued turn restored nothing");
        string state = await http.GetStringAsync("/api/state");
        Assert.Contains("\"source\":\"dram\"", state, StringComparison.Ordinal); // restored from where the prefetch put it
    }

    /// <summary>Polls <paramref name="path"/> until its body matches <paramref name="pattern"/>; fails after 60 s.</summary>
    private static async Task Until(HttpClient http, string path, string pattern)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string body = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            body = await http.GetStringAsync(path);
            if (System.Text.RegularExpressions.Regex.IsMatch(body, pattern))
            {
                return;
            }

            await Task.Delay(20);
        }

        // What the server was doing says which way it failed (the queued turn already ran, the hold ended, ...).
        string state = await http.GetStringAsync("/api/state");
        Assert.Fail($"{path} never matched {pattern} in 60 s; last: {body}; /api/state: {state}");
    }

    /// <summary>
    /// Runs a first turn on a server over <paramref name="flashDirectory"/> and stops it (disposing the host disposes
    /// the store, which flushes its DRAM blocks to the flash file), then returns the conversation's second turn.
    /// </summary>
    private static async Task<List<ChatMessage>> SecondTurnAfterARestart(string flashDirectory, string task, string followUp)
    {
        List<ChatMessage> messages = Conversation.FirstTurn(task);
        using (var before = new TestServerFactory(flashDirectory))
        {
            messages.Add(new AssistantChatMessage((await before.Chat().CompleteChatAsync(messages, Greedy)).Value.Content[0].Text));
        }

        messages.Add(new UserChatMessage(followUp));
        return messages;
    }
}
