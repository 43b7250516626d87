using System.Net;
using System.Text;
using System.Text.Json;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// A client that goes away mid-reply (its timeout, a closed tab, Esc in an agent) stops the generation: the sequence is
/// free for the next request instead of decoding the rest of <c>max_tokens</c> for no one, and the log says
/// <c>cancelled</c>, not <c>length</c>.
/// </summary>
public sealed class DisconnectTests
{
    private const int MaxTokens = 1900;
    private const int Attempts = 5;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientThatLeavesMidReplyStopsTheGenerationAndIsLoggedAsCancelled(bool stream)
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path, new Dictionary<string, string?> { ["AgentServer:Sequences"] = "1" });
        HttpClient http = server.CreateClient();
        string body = $$"""{"model": "tiny", "messages": [{"role": "user", "content": "count to a thousand"}], "max_tokens": {{MaxTokens}}, "stream": {{(stream ? "true" : "false")}}, "user": "leaver"}""";

        // The tiny model decodes 1,900 tokens in about a second, so on a loaded machine the whole reply can finish
        // between two polls of /api/state, or between the poll that sees it running and the cancel. Such an attempt
        // proves nothing either way and is retried; an attempt caught mid-reply must end 'cancelled'. A server that
        // ignored the client would record 'length' with all 1,900 tokens on every attempt and fail.
        JsonElement served = default;
        for (int attempt = 1; ; attempt++)
        {
            Assert.True(attempt <= Attempts, $"no attempt in {Attempts} was caught mid-reply");
            using var leave = new CancellationTokenSource();
            Task<HttpResponseMessage> send = http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"),
                leave.Token);
            await WaitAsync(http, state => send.IsCompleted || state.GetProperty("sequences").GetProperty("busy").GetInt32() == 1,
                "the request never took the sequence");
            await leave.CancelAsync();
            try
            {
                (await send).Dispose(); // finished before the cancel: the record below says so
            }
            catch (OperationCanceledException)
            {
                // the client left mid-reply, as intended
            }

            // The server records the request once generation has stopped (newest first).
            JsonElement record = await WaitAsync(http, state => state.GetProperty("recent").GetArrayLength() == attempt, "the request was never recorded");
            served = record.GetProperty("recent")[0];
            bool ranToTheEnd = served.GetProperty("finishReason").GetString() == "length"
                && served.GetProperty("completionTokens").GetInt32() == MaxTokens;
            if (!ranToTheEnd)
            {
                break;
            }
        }

        Assert.Equal("cancelled", served.GetProperty("finishReason").GetString());
        Assert.InRange(served.GetProperty("completionTokens").GetInt32(), 0, MaxTokens - 1);

        using HttpResponseMessage next = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Contains("agentserver_requests_total{otel_scope_name=\"KvTiering.AgentServer\",outcome=\"cancelled\"} 1",
            await ScrapeAsync(http, "outcome=\"cancelled\""), StringComparison.Ordinal);
    }

    /// <summary>Polls <c>/api/state</c> until <paramref name="done"/> holds; fails after 60 s.</summary>
    private static async Task<JsonElement> WaitAsync(HttpClient http, Func<JsonElement, bool> done, string failure)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using JsonDocument state = JsonDocument.Parse(await http.GetStringAsync("/api/state"));
            if (done(state.RootElement))
            {
                return state.RootElement.Clone();
            }

            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(5);
        }
    }

    /// <summary>Scrapes <c>/metrics</c> until it shows <paramref name="expected"/> (a scrape is cached for a moment).</summary>
    private static async Task<string> ScrapeAsync(HttpClient http, string expected)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        string scrape = await http.GetStringAsync("/metrics");
        while (!scrape.Contains(expected, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            scrape = await http.GetStringAsync("/metrics");
        }

        return scrape;
    }
}
