using System.Text.Json;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

public sealed class HintTests
{
    [Fact]
    public async Task AToolCallFinishPausesTheSessionAndAnEndOfTurnAwaitsTheUser()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        ChatClient client = server.Chat();
        HttpClient http = server.CreateClient();
        var options = new ChatCompletionOptions
        {
            MaxOutputTokenCount = 5,
            EndUserId = "agent-7",
            Tools = { Conversation.ReadFileTool },
            ToolChoice = ChatToolChoice.CreateRequiredChoice(),
        };
        List<ChatMessage> messages = Conversation.FirstTurn("Open the store's flush code.");

        ChatCompletion call = (await client.CompleteChatAsync(messages, options)).Value;
        Assert.Equal(ChatFinishReason.ToolCalls, call.FinishReason);
        ChatToolCall toolCall = Assert.Single(call.ToolCalls);
        Assert.Equal("read_file", toolCall.FunctionName);
        using (JsonDocument args = JsonDocument.Parse(toolCall.FunctionArguments))
        {
            Assert.Equal(JsonValueKind.String, args.RootElement.GetProperty("path").ValueKind);
            Assert.Equal(5, args.RootElement.GetProperty("max_lines").GetInt32());
        }

        JsonElement paused = await Explain(http, "agent-7");
        Assert.True(paused.GetProperty("residentBlocks").GetInt32() > 0, paused.ToString());
        foreach (JsonProperty tier in paused.GetProperty("hints").EnumerateObject())
        {
            Assert.Equal("Paused", tier.Value.GetString());
        }

        Assert.Equal(2, paused.GetProperty("hints").EnumerateObject().Count()); // both tiers' policies got it

        // The tool answers; with no forced tool the reply is text, and the session now waits on its user.
        messages.Add(new AssistantChatMessage(call.ToolCalls));
        messages.Add(new ToolChatMessage(toolCall.Id, "int Flush() { ... }"));
        var plain = new ChatCompletionOptions { MaxOutputTokenCount = 5, EndUserId = "agent-7", Tools = { Conversation.ReadFileTool } };
        ChatCompletion answer = (await client.CompleteChatAsync(messages, plain)).Value;
        Assert.Equal(ChatFinishReason.Length, answer.FinishReason);
        Assert.True(answer.Usage.InputTokenDetails!.CachedTokenCount > 0, "the turn after the tool restored nothing");
        JsonElement awaiting = await Explain(http, "agent-7");
        foreach (JsonProperty tier in awaiting.GetProperty("hints").EnumerateObject())
        {
            Assert.Equal("AwaitingUser", tier.Value.GetString());
        }
    }

    private static async Task<JsonElement> Explain(HttpClient http, string session)
    {
        using JsonDocument document = JsonDocument.Parse(await http.GetStringAsync($"/v1/sessions/{session}/explain"));
        return document.RootElement.Clone();
    }
}
