using System.Net;
using System.Text.Json;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary><c>DELETE /v1/sessions/{id}</c>: the framework's session end reaches every tier's policy as <c>Closed</c>.</summary>
public sealed class SessionCloseTests
{
    [Fact]
    public async Task ClosingASessionTellsEveryTierAndUnknownOrBadIdsAreRefused()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        ChatClient client = server.Chat();
        HttpClient http = server.CreateClient();
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 5, EndUserId = "agent-9" };
        _ = (await client.CompleteChatAsync(Conversation.FirstTurn("Summarise the flush code."), options)).Value;

        using (HttpResponseMessage closed = await http.DeleteAsync("/v1/sessions/agent-9"))
        {
            Assert.Equal(HttpStatusCode.NoContent, closed.StatusCode);
        }

        using (JsonDocument explain = JsonDocument.Parse(await http.GetStringAsync("/v1/sessions/agent-9/explain")))
        {
            JsonElement hints = explain.RootElement.GetProperty("hints");
            Assert.Equal(2, hints.EnumerateObject().Count()); // both tiers' policies got it
            Assert.All(hints.EnumerateObject(), tier => Assert.Equal("Closed", tier.Value.GetString()));
        }

        using (HttpResponseMessage unknown = await http.DeleteAsync("/v1/sessions/never-seen"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Contains("never-seen", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        foreach (string bad in new[] { "%20", "a%01b", new string('x', 300) })
        {
            using HttpResponseMessage refused = await http.DeleteAsync("/v1/sessions/" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            using JsonDocument error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            string message = error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
            Assert.Contains("is not a session id", message, StringComparison.Ordinal);
            Assert.Equal("invalid_session_id", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
    }
}
