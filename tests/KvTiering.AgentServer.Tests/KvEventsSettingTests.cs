using System.Text.Json;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>Publishing is off by default and binds nothing; on, it binds the configured endpoints.</summary>
[Collection(PortCountingTests.Name)]
public sealed class KvEventsSettingTests
{
    [Fact]
    public async Task WithoutTheSettingNoPortIsBoundAndWithItThePublishersAre()
    {
        HashSet<int> before = ListeningPorts.OfThisProcess();
        using (var flash = new TempDirectory())
        using (var off = new TestServerFactory(flash.Path))
        {
            await off.Chat().CompleteChatAsync(Conversation.FirstTurn("List the files."), new ChatCompletionOptions { MaxOutputTokenCount = 2 });
            using JsonDocument state = JsonDocument.Parse(await off.CreateClient().GetStringAsync("/api/state"));
            Assert.Equal(JsonValueKind.Null, state.RootElement.GetProperty("kvEvents").ValueKind);
            HashSet<int> during = ListeningPorts.OfThisProcess(); // reading the state did not start a publisher either
            Assert.Empty(during.Except(before)); // the in-process test server binds no HTTP port either
        }

        // The check can fail: with the setting, both endpoints listen.
        using var flash2 = new TempDirectory();
        using var on = new TestServerFactory(flash2.Path, KvEventsServer.Settings());
        var publisher = KvEventsServer.Publisher(on);
        HashSet<int> now = ListeningPorts.OfThisProcess();
        Assert.Contains(Port(publisher.Endpoint), now);
        Assert.Contains(Port(publisher.ReplayEndpoint!), now);

        // The page's state counts what went out, so an operator sees the publisher at work.
        await on.Chat().CompleteChatAsync(Conversation.FirstTurn("List the files."), new ChatCompletionOptions { MaxOutputTokenCount = 2 });
        HttpClient http = on.CreateClient();
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement events;
        do
        {
            await Task.Delay(20);
            using JsonDocument state = JsonDocument.Parse(await http.GetStringAsync("/api/state"));
            events = state.RootElement.GetProperty("kvEvents").Clone();
        }
        while (events.GetProperty("published").GetInt64() == 0 && DateTime.UtcNow < deadline);

        Assert.Equal(publisher.Endpoint, events.GetProperty("endpoint").GetString());
        Assert.Equal(publisher.ReplayEndpoint, events.GetProperty("replayEndpoint").GetString());
        Assert.InRange(events.GetProperty("published").GetInt64(), 1, long.MaxValue);
        Assert.Equal(0, events.GetProperty("resets").GetInt64());
    }

    private static int Port(string endpoint) => int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}
