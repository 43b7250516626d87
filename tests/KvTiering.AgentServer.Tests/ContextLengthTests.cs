using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// A request's prompt plus its <c>max_tokens</c> must fit the 2,048-token context: one that does not is a 400 that
/// says so with the counts, as vLLM and OpenAI answer it, never a reply silently cut shorter than asked.
/// </summary>
public sealed class ContextLengthTests
{
    private static readonly string Long = string.Concat(Enumerable.Repeat("all work and no play ", 61)); // ~1,940 tokens of 2,048 (about 31.5 a phrase)

    [Theory]
    [InlineData("max_tokens")]
    [InlineData("max_completion_tokens")]
    public async Task PromptPlusMaxTokensOverTheContextIsA400WithTheCounts(string field)
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        int prompt = (await server.Chat().CompleteChatAsync([new UserChatMessage(Long)],
            new ChatCompletionOptions { MaxOutputTokenCount = 1 })).Value.Usage.InputTokenCount;
        int room = 2048 - prompt;
        Assert.InRange(room, 2, 300);

        using HttpResponseMessage refused = await PostAsync(server, field, room + 1);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        JsonElement e = error.RootElement.GetProperty("error");
        Assert.Equal(
            $"This model's maximum context length is 2048 tokens. However, you requested 2049 tokens ({prompt} in the messages, {room + 1} in the completion). Please reduce the length of the messages or completion.",
            e.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
        Assert.Equal(field, e.GetProperty("param").GetString());
        Assert.Equal("context_length_exceeded", e.GetProperty("code").GetString());

        // Exactly the room left is served in full, and the reply that stops at max_tokens says 'length'.
        using HttpResponseMessage served = await PostAsync(server, field, room);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        using JsonDocument reply = JsonDocument.Parse(await served.Content.ReadAsStringAsync());
        JsonElement choice = reply.RootElement.GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(room, reply.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task APromptOverTheContextIsA400WithTheCountsThroughTheOfficialClient()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        string huge = string.Concat(Enumerable.Repeat("all work and no play ", 120)); // ~3,800 tokens > 2,048
        ClientResultException ex = await Assert.ThrowsAsync<ClientResultException>(() =>
            server.Chat().CompleteChatAsync([new UserChatMessage(huge)], new ChatCompletionOptions { MaxOutputTokenCount = 2 }));
        Assert.Equal(400, ex.Status);
        using JsonDocument error = JsonDocument.Parse(ex.GetRawResponse()!.Content.ToString());
        JsonElement e = error.RootElement.GetProperty("error");
        string message = e.GetProperty("message").GetString()!;
        Assert.StartsWith("This model's maximum context length is 2048 tokens. However, your messages resulted in ", message, StringComparison.Ordinal);
        Assert.EndsWith(" tokens. Please reduce the length of the messages.", message, StringComparison.Ordinal);
        Assert.Equal("messages", e.GetProperty("param").GetString());
        Assert.Equal("context_length_exceeded", e.GetProperty("code").GetString());
    }

    [Fact]
    public async Task WithoutMaxTokensTheDefaultIsCutToTheRoomLeft()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path, new Dictionary<string, string?> { ["AgentServer:DefaultMaxTokens"] = "4000" });
        ChatCompletion reply = (await server.Chat().CompleteChatAsync([new UserChatMessage(Long)])).Value;
        Assert.Equal(2048, reply.Usage.InputTokenCount + reply.Usage.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, reply.FinishReason);
    }

    private static Task<HttpResponseMessage> PostAsync(TestServerFactory server, string field, int maxTokens)
    {
        string body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = "tiny",
            ["messages"] = new[] { new { role = "user", content = Long } },
            [field] = maxTokens,
        });
        return server.CreateClient().PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
    }
}
