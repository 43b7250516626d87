using System.ClientModel;
using Microsoft.Playwright;
using OpenAI;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>The page at <c>/</c>, in a real headless Chromium driven by Playwright, against the server on a loopback port.</summary>
public sealed class PageTests
{
    // Without the networking flags Chromium tries Google's hosts at start, which a closed network refuses, slowly.
    private static readonly string[] BrowserFlags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    [ChromiumFact]
    public async Task ThePageShowsTiersAndEachRequestsCachedTokensAndRefreshesLive()
    {
        using var flash = new TempDirectory();
        await using RealServer server = await RealServer.StartAsync(flash.Path);
        var chat = new ChatClient("tiny", new ApiKeyCredential("not-checked"),
            new OpenAIClientOptions { Endpoint = new Uri(server.Address, "/v1") });
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 4, EndUserId = "page-session" };
        List<ChatMessage> messages = Conversation.FirstTurn("List the tiers.");
        ChatCompletion first = (await chat.CompleteChatAsync(messages, options)).Value;

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = BrowserFlags,
        });
        IPage page = await browser.NewPageAsync();
        await page.GotoAsync(server.Address.ToString());

        ILocator tiers = page.Locator("#tiers tr.tier");
        await tiers.First.WaitForAsync();
        Assert.Equal(2, await tiers.CountAsync());
        Assert.Equal("dram", await tiers.Nth(0).Locator("td").First.InnerTextAsync());
        Assert.Equal("flash", await tiers.Nth(1).Locator("td").First.InnerTextAsync());

        ILocator rows = page.Locator("#requests tr.request");
        await rows.First.WaitForAsync();
        Assert.Equal(1, await rows.CountAsync());
        IReadOnlyList<string> cells = await rows.First.Locator("td").AllInnerTextsAsync();
        Assert.Equal("page-session", cells[0]);
        Assert.Equal(first.Usage.InputTokenCount.ToString(System.Globalization.CultureInfo.InvariantCulture), cells[1]);
        Assert.Equal("0", cells[2]);
        Assert.Equal("miss", cells[3]);

        // The next turn restores the first: the page shows it within a refresh, without a reload.
        messages.Add(new AssistantChatMessage(first.Content[0].Text));
        messages.Add(new UserChatMessage("And their sizes."));
        ChatCompletion second = (await chat.CompleteChatAsync(messages, options)).Value;
        int cached = second.Usage.InputTokenDetails!.CachedTokenCount;
        Assert.True(cached > 0);
        // A refresh is every second; 60 s leaves room for a loaded 2-core runner (the whole test took 23.7 s under load).
        await Assertions.Expect(rows).ToHaveCountAsync(2, new LocatorAssertionsToHaveCountOptions { Timeout = 60_000 });
        IReadOnlyList<string> newest = await rows.First.Locator("td").AllInnerTextsAsync();
        Assert.Equal(cached.ToString(System.Globalization.CultureInfo.InvariantCulture), newest[2]);
        Assert.Equal("dram", newest[3]);
        Assert.Equal("AwaitingUser", newest[9]);
    }
}
