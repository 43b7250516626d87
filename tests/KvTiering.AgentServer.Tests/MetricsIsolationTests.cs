using System.Text.RegularExpressions;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// Two servers in one process (xunit runs test classes in parallel; AgentLoad hosts a server in process) each export
/// only their own meters at <c>/metrics</c>, and keep exporting them when the other stops.
/// </summary>
/// <remarks>
/// Subscribing by meter name alone (OpenTelemetry's <c>AddMeter</c>) listens to every host's meters: the two hosts' instruments
/// fed one stream, so a server reported the other's requests, and when the other stopped, its stream was retired and
/// this server's <c>/metrics</c> went empty (the prefetch test failed in CI on exactly that).
/// </remarks>
public sealed class MetricsIsolationTests
{
    private static readonly ChatCompletionOptions Short = new() { MaxOutputTokenCount = 4 };

    [Fact]
    public async Task EachServerExportsOnlyItsOwnMetricsAndKeepsThemWhenTheOtherStops()
    {
        using var flashA = new TempDirectory();
        using var flashB = new TempDirectory();
        using var b = new TestServerFactory(flashB.Path);
        HttpClient httpB = b.CreateClient();
        Assert.Contains("kvtiering_bytes_total", await httpB.GetStringAsync("/metrics"), StringComparison.Ordinal);

        var a = new TestServerFactory(flashA.Path);
        try
        {
            await a.Chat().CompleteChatAsync(Conversation.FirstTurn("List the files under src."), Short);
            await Scrape(a.CreateClient(), s => Requests(s) == 1);
            Assert.Equal(0, Requests(await httpB.GetStringAsync("/metrics"))); // A's request is not B's
        }
        finally
        {
            a.Dispose();
        }

        await b.Chat().CompleteChatAsync(Conversation.FirstTurn("List the files under docs."), Short);
        string after = await Scrape(httpB, s => Requests(s) == 1); // a scrape is cached for a moment: poll
        Assert.Contains("kvtiering_bytes_total", after, StringComparison.Ordinal);

        // A retired stream disappears at the next collection after the scrape cache expires: look again later.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        string later = await httpB.GetStringAsync("/metrics");
        Assert.Equal(1, Requests(later));
        Assert.Contains("kvtiering_bytes_total", later, StringComparison.Ordinal);
    }

    /// <summary>Scrapes until <paramref name="done"/> holds (a scrape is cached for a moment); fails after 30 s with the last one.</summary>
    private static async Task<string> Scrape(HttpClient http, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string scrape = await http.GetStringAsync("/metrics");
        while (!done(scrape) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            scrape = await http.GetStringAsync("/metrics");
        }

        Assert.True(done(scrape), $"/metrics never showed the expected values; last scrape: {scrape}");
        return scrape;
    }

    /// <summary>The server's request count in a scrape (0 when the counter has no series yet).</summary>
    private static long Requests(string scrape)
    {
        long total = 0;
        foreach (Match m in Regex.Matches(scrape, @"^agentserver_requests_total\{[^}]*\} (\d+)", RegexOptions.Multiline))
        {
            total += long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        return total;
    }
}
