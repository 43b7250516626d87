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
            HashSet<int> during = ListeningPorts.OfThisProcess();
            Assert.Empty(during.Except(before)); // the in-process test server binds no HTTP port either
        }

        // The check can fail: with the setting, both endpoints listen.
        using var flash2 = new TempDirectory();
        using var on = new TestServerFactory(flash2.Path, KvEventsServer.Settings());
        var publisher = KvEventsServer.Publisher(on);
        HashSet<int> now = ListeningPorts.OfThisProcess();
        Assert.Contains(Port(publisher.Endpoint), now);
        Assert.Contains(Port(publisher.ReplayEndpoint!), now);
    }

    private static int Port(string endpoint) => int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}
