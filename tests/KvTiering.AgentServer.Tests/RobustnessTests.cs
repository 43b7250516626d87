using System.Net;
using Microsoft.AspNetCore.Hosting;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

public sealed class RobustnessTests
{
    [Theory]
    [InlineData("{\"model\": \"tiny\", \"messages\": [", "not valid JSON", null)]
    [InlineData("{\"model\": \"tiny\"}", "'messages' is required", "messages")]
    [InlineData("{\"messages\": []}", "'messages' must be a non-empty array", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}", "'messages[0].role' is 'robot'", "messages[0].role")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": -3}", "'max_tokens' must be a positive integer, not -3", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}", "'max_tokens' must be a positive integer, not 0", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1.5}", "'max_tokens' must be a positive integer, not 1.5", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": \"8\"}", "'max_tokens' must be a positive integer, not \"8\"", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_completion_tokens\": -1}", "'max_completion_tokens' must be a positive integer, not -1", "max_completion_tokens")]
    [InlineData("{\"model\": 5, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "'model' must be a string, not number", "model")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tool_choice\": \"required\"}", "no 'tools'", "tool_choice")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": \"yes\"}", "'stream' must be true or false, not the string \"yes\"", "stream")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": true, \"stream_options\": {\"include_usage\": 1}}", "'stream_options.include_usage' must be true or false, not number", "stream_options.include_usage")]
    public async Task MalformedRequestsGetA400NamingTheProblemAndTheServerStaysHealthy(string body, string expected, string? param)
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        HttpClient http = server.CreateClient();

        using HttpResponseMessage response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement e = error.RootElement.GetProperty("error");
        Assert.Contains(expected, e.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
        Assert.Equal(param, e.GetProperty("param").GetString());

        await AssertHealthyAndServing(server);
    }

    [Fact]
    public async Task AFullQueueAnswers429WithRetryAfter()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path, new Dictionary<string, string?>
        {
            ["AgentServer:Sequences"] = "1",
            ["AgentServer:QueueLength"] = "0",
            ["AgentServer:RetryAfterSeconds"] = "2",
        });
        HttpClient http = server.CreateClient();

        // A long streamed reply holds the only sequence; its first event arrives once it has the sequence.
        const string Long = """{"messages": [{"role": "user", "content": "count to a thousand"}], "max_tokens": 600, "stream": true}""";
        using var holding = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(Long, Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage streaming = await http.SendAsync(holding, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, streaming.StatusCode);
        using var reader = new StreamReader(await streaming.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync());

        using HttpResponseMessage refused = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("server_busy", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        string rest = await reader.ReadToEndAsync();
        Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
        await AssertHealthyAndServing(server);
    }

    [Theory]
    [InlineData("GET", "/v1/nope", HttpStatusCode.NotFound, "Invalid URL (GET /v1/nope).")]
    [InlineData("GET", "/v1/chat/completions", HttpStatusCode.MethodNotAllowed, "GET is not allowed on /v1/chat/completions.")]
    public async Task AnUnknownPathOrAWrongMethodAnswersInOpenAisErrorShape(string method, string path, HttpStatusCode status, string message)
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        using HttpResponseMessage response = await server.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(status, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement e = error.RootElement.GetProperty("error");
        Assert.Equal(message, e.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
    }

    [Fact]
    public async Task ABodyOverKestrelsLimitIsA413InOpenAisShape()
    {
        using var flash = new TempDirectory();
        await using RealServer server = await RealServer.StartAsync(flash.Path,
            b => b.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 4096)); // Kestrel's limit; TestServer has none
        using var http = new HttpClient { BaseAddress = server.Address };
        string body = $$"""{"model": "tiny", "messages": [{"role": "user", "content": "{{new string('a', 8192)}}"}]}""";
        using HttpResponseMessage response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("The body is over the 4096 bytes this server accepts.",
            error.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task ModelsHealthAndMetricsAnswer()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path);
        HttpClient http = server.CreateClient();
        await AssertHealthyAndServing(server);
        string models = await http.GetStringAsync("/v1/models");
        Assert.Contains("\"object\":\"list\"", models, StringComparison.Ordinal);
        string metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("agentserver_ttft", metrics, StringComparison.Ordinal);
        Assert.Contains("agentserver_prompt_tokens", metrics, StringComparison.Ordinal);
        Assert.Contains("kvtiering_", metrics, StringComparison.Ordinal);
    }

    private static async Task AssertHealthyAndServing(TestServerFactory server)
    {
        using HttpResponseMessage health = await server.CreateClient().GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        ChatCompletion ok = (await server.Chat().CompleteChatAsync([new UserChatMessage("still there?")],
            new ChatCompletionOptions { MaxOutputTokenCount = 2 })).Value;
        Assert.Equal(2, ok.Usage.OutputTokenCount);
    }
}
