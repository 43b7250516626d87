using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// <c>stop</c> ends the reply before the first stop string, JSON or streamed, with <c>finish_reason: stop</c>, and no
/// streamed piece carries part of it; <c>n</c> other than 1 is refused rather than answered with one choice.
/// </summary>
public sealed class StopTests
{
    private static readonly List<ChatMessage> Messages = [new UserChatMessage("Say something long.")];

    [Fact]
    public async Task TheReplyEndsBeforeTheStopStringWholeAndStreamed()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        ChatClient client = server.Chat();
        string full = (await client.CompleteChatAsync(Messages, new ChatCompletionOptions { MaxOutputTokenCount = 12 })).Value.Content[0].Text;
        Assert.True(full.Length >= 8, $"the reference reply '{full}' is too short to cut");

        // A stop string from the reply's middle, as several tokens' text (greedy decoding repeats the reply).
        int cut = full.Length / 2;
        string stop = full.Substring(cut, Math.Min(3, full.Length - cut));
        string expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12, StopSequences = { "never-in-this-reply", stop } };

        ChatCompletion whole = (await client.CompleteChatAsync(Messages, options)).Value;
        Assert.Equal(expected, whole.Content.Count == 0 ? string.Empty : whole.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, whole.FinishReason);
        Assert.True(whole.Usage.OutputTokenCount < 12);

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync(Messages, options))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(expected, streamed.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);

        // Without a stop string the streamed reply is the whole reply: nothing held back is lost.
        var plain = new StringBuilder();
        await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync(Messages,
            new ChatCompletionOptions { MaxOutputTokenCount = 12, StopSequences = { "never-in-this-reply" } }))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                plain.Append(part.Text);
            }
        }

        Assert.Equal(full, plain.ToString());
    }

    [Theory]
    [InlineData("\"n\": 2", "'n' is 2; this server generates one choice per request (n = 1).", "n")]
    [InlineData("\"stop\": 5", "'stop' must be a string or an array of strings, not 5.", "stop")]
    [InlineData("\"stop\": [\"\"]", "'stop' holds an empty string, which would end every reply before it starts.", "stop")]
    public async Task ChoicesAndStopStringsItCannotHonourAreA400(string field, string message, string param)
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        using HttpResponseMessage response = await server.CreateClient().PostAsync("/v1/chat/completions", new StringContent(
            $$"""{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], {{field}}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(message, error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(param, error.RootElement.GetProperty("error").GetProperty("param").GetString());
    }
}
