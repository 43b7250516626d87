using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The <c>model</c> a request names: the served name or one of its aliases is served, anything else is a 404 in
/// OpenAI's shape (vLLM's <c>check_model</c> answers the same status and message), and <c>/v1/models</c> lists them.
/// </summary>
public sealed class ModelNameTests
{
    [Fact]
    public async Task AnUnknownModelIsA404NamingItAndTheServerStaysHealthy()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        HttpClient http = server.CreateClient();

        using HttpResponseMessage response = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement e = error.RootElement.GetProperty("error");
        Assert.Equal("The model `gpt-4o` does not exist.", e.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
        Assert.Equal("model", e.GetProperty("param").GetString());
        Assert.Equal("model_not_found", e.GetProperty("code").GetString());

        // The official client sees a 404 too, not a reply from a model it did not ask for.
        var client = new ChatClient("gpt-4o", new ApiKeyCredential("not-checked"), server.OpenAIOptions());
        ClientResultException ex = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, ex.Status);

        ChatCompletion ok = (await server.Chat().CompleteChatAsync([new UserChatMessage("still there?")],
            new ChatCompletionOptions { MaxOutputTokenCount = 1 })).Value;
        Assert.Equal(1, ok.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task ModelsListsTheServedNameAndItsAliasesAndRepliesNameTheServedModel()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path, new Dictionary<string, string?> { ["AgentServer:ModelAliases:1"] = "gpt-4o-mini" });
        HttpClient http = server.CreateClient();

        using JsonDocument models = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        string[] ids = [.. models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
        Assert.Equal(3, ids.Length);
        string served = ids[0];
        Assert.StartsWith("kvtiering-synthetic-tiny", served, StringComparison.Ordinal);
        Assert.Equal(["tiny", "gpt-4o-mini"], ids[1..]);
        Assert.All(models.RootElement.GetProperty("data").EnumerateArray(),
            m => Assert.Equal(2048, m.GetProperty("max_model_len").GetInt32()));

        foreach (string name in (string[])[served, "tiny", "gpt-4o-mini"])
        {
            var client = new ChatClient(name, new ApiKeyCredential("not-checked"), server.OpenAIOptions());
            ChatCompletion reply = (await client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 1 })).Value;
            Assert.Equal(served, reply.Model);
        }

        // A request without a model is served by the one model, as vLLM serves it.
        using HttpResponseMessage unnamed = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, unnamed.StatusCode);
    }
}
