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
        List<ChatMessage> messages = Conversation.FirstTurn("Summarise docs/architecture.md in five lines.");
        string reply;
        using (var before = new TestServerFactory(flash.Path))
        {
            ChatCompletion first = (await before.Chat().CompleteChatAsync(messages, Greedy)).Value;
            reply = first.Content[0].Text;
        } // disposing the host disposes the store, which flushes DRAM blocks to the flash file

        messages.Add(new AssistantChatMessage(reply));
        messages.Add(new UserChatMessage("Now in three lines."));
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
        List<ChatMessage> messages = Conversation.FirstTurn("List the flaky tests and why they flake.");
        string reply;
        using (var before = new TestServerFactory(flash.Path))
        {
            reply = (await before.Chat().CompleteChatAsync(messages, Greedy)).Value.Content[0].Text;
        } // the snapshot is on flash now; the restarted server's DRAM is empty

        messages.Add(new AssistantChatMessage(reply));
        messages.Add(new UserChatMessage("Fix the first one."));
        using var after = new TestServerFactory(flash.Path, new Dictionary<string, string?> { ["AgentServer:Sequences"] = "1" });
        HttpClient http = after.CreateClient();

        // A long streamed reply of another session holds the only sequence, so the next turn has to queue.
        using var holding = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"messages": [{"role": "user", "content": "count to a thousand"}], "max_tokens": 400, "stream": true, "user": "other"}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage streaming = await http.SendAsync(holding, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await streaming.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync());

        Task<System.ClientModel.ClientResult<ChatCompletion>> queued = after.Chat().CompleteChatAsync(messages, Greedy);
        Assert.EndsWith("data: [DONE]\n\n", await reader.ReadToEndAsync(), StringComparison.Ordinal);
        ChatCompletion second = (await queued).Value;

        Assert.True(second.Usage.InputTokenDetails!.CachedTokenCount > 0, "the queued turn restored nothing");
        string state = await http.GetStringAsync("/api/state");
        Assert.Contains("\"source\":\"dram\"", state, StringComparison.Ordinal); // prefetched while it waited
        string metrics = await http.GetStringAsync("/metrics");
        Assert.Matches(@"agentserver_prefetched_blocks(_total)?(\{[^}]*\})? [1-9]", metrics);
    }
}
