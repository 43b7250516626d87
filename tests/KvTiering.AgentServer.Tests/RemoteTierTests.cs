using System.Globalization;
using System.Text.RegularExpressions;
using KvTiering.Redis.Tests;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The server's remote tier (<c>KvTiering:Redis</c>) on an embedded Garnet: a snapshot pushed below DRAM and flash is
/// restored from it with the bytes a recompute gives; a server that is down at start is served without; a password
/// the server refuses stops the start, naming the setting. samples/AgentServer/Drill/remote-drill.sh runs the same
/// faults and more against a Garnet process.
/// </summary>
public sealed partial class RemoteTierTests
{
    private const string Password = "remote-tier-secret";
    private static readonly ChatCompletionOptions Greedy = new() { MaxOutputTokenCount = 6, EndUserId = "remote" };

    /// <summary>16 blocks of 16 KiB in DRAM over 16 on flash: most of a 1,000-token prompt's snapshot lands on the remote tier.</summary>
    private static Dictionary<string, string?> Tiny(string configuration) => new()
    {
        ["KvTiering:MemoryBytes"] = (16 * 16 * 1024).ToString(CultureInfo.InvariantCulture),
        ["KvTiering:FlashBytes"] = (16 * 16 * 1024).ToString(CultureInfo.InvariantCulture),
        ["KvTiering:Redis:Configuration"] = configuration,
        ["KvTiering:Redis:Bytes"] = (1024 * 16 * 1024).ToString(CultureInfo.InvariantCulture),
        // A fresh Garnet's first commands can take longer than the default 250 ms on a busy test machine; a timeout
        // would back the tier off and drop the demotions this test restores.
        ["KvTiering:Redis:OperationTimeout"] = "00:00:05",
    };

    [Fact]
    public async Task A_snapshot_below_flash_is_restored_from_the_remote_tier_and_generates_what_a_recompute_does()
    {
        using var garnet = new GarnetTestServer(Password);
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path, Tiny($"{garnet.Configuration},password={Password}"));

        (List<ChatMessage> messages, ChatCompletion second) = await TwoTurnsRestoredFromRedis(server);

        using var flash2 = new TempDirectory();
        using var uncached = new TestServerFactory(flash2.Path, new Dictionary<string, string?> { ["AgentServer:PrefixCache"] = "false" });
        Assert.Equal((await uncached.Chat().CompleteChatAsync(messages, Greedy)).Value.Content[0].Text, second.Content[0].Text);
    }

    [Fact]
    public async Task With_an_authentication_key_every_value_on_the_remote_server_is_sealed_and_still_restores()
    {
        using var garnet = new GarnetTestServer(Password);
        using var flash = new TempDirectory();
        Dictionary<string, string?> settings = Tiny($"{garnet.Configuration},password={Password}");
        settings["KvTiering:Redis:AuthenticationKey"] = Convert.ToBase64String([.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 1))]);
        using var server = new TestServerFactory(flash.Path, settings);

        await TwoTurnsRestoredFromRedis(server);

        using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{garnet.Configuration},password={Password}");
        StackExchange.Redis.IDatabase database = connection.GetDatabase();
        StackExchange.Redis.RedisKey[] keys = [.. connection.GetServer(connection.GetEndPoints()[0]).Keys(pattern: "*")];
        Assert.NotEmpty(keys);
        foreach (StackExchange.Redis.RedisKey key in keys)
        {
            byte[] value = (byte[])database.StringGet(key)!;
            Assert.Equal(1, System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(value.AsSpan(6))); // the header's "sealed" flag
        }
    }

    [Theory]
    [InlineData("not base64!", "not base64")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==", "16 bytes")]
    public async Task An_authentication_key_that_is_not_32_bytes_of_base64_stops_the_start_naming_the_setting(string key, string why)
    {
        using var garnet = new GarnetTestServer(Password);
        (int rc, string errors) = await ServerProcess.RunToExitAsync("--AgentServer:Preset=tiny", "--AgentServer:ContextSize=256",
            $"--KvTiering:Redis:Configuration={garnet.Configuration},password={Password}", $"--KvTiering:Redis:AuthenticationKey={key}");
        Assert.Equal(2, rc);
        Assert.StartsWith($"AgentServer: KvTiering:Redis:AuthenticationKey: is not base64 of at least 32 bytes ({why})", errors, StringComparison.Ordinal);
        Assert.DoesNotContain(key, errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ReadWindow", "0")]
    [InlineData("WriteWindow", "1025")]
    public async Task A_window_out_of_range_stops_the_start_naming_the_setting(string setting, string value)
    {
        using var garnet = new GarnetTestServer(Password);
        (int rc, string errors) = await ServerProcess.RunToExitAsync("--AgentServer:Preset=tiny", "--AgentServer:ContextSize=256",
            $"--KvTiering:Redis:Configuration={garnet.Configuration},password={Password}", $"--KvTiering:Redis:{setting}={value}");
        Assert.Equal(2, rc);
        Assert.StartsWith($"AgentServer: KvTiering:Redis:{setting}: {setting} {value} must be 1 to 1024.", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_remote_server_that_is_down_at_start_is_served_without()
    {
        using var garnet = new GarnetTestServer(Password);
        garnet.Stop();
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path, Tiny($"{garnet.Configuration},password={Password}"));

        ChatCompletion reply = (await server.Chat().CompleteChatAsync(Conversation.FirstTurn("Run the tests."), Greedy)).Value;

        Assert.Equal(ChatFinishReason.Length, reply.FinishReason);
        string metrics = await server.CreateClient().GetStringAsync("/metrics");
        Assert.Equal(1, Value(metrics, "agentserver_restores_total{[^}]*source=\"miss\"[^}]*}"));

        // The save's blocks bound for the remote are not staged for it (ack29): the device says it cannot take writes,
        // so they are passed over, counted as unreachable writes, and none is answered Stored and then dropped by a
        // write failure after the reply (direct28's behaviour, which this test used to wait for).
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (Value(metrics, "kvtiering_unreachable_writes_total{[^}]*kvtiering_tier=\"redis\"[^}]*}") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, metrics);
            await Task.Delay(50);
            metrics = await server.CreateClient().GetStringAsync("/metrics");
        }

        // The same request again is served from what the server kept, and its reply is the same.
        ChatCompletion again = (await server.Chat().CompleteChatAsync(Conversation.FirstTurn("Run the tests."), Greedy)).Value;
        Assert.Equal(reply.Content[0].Text, again.Content[0].Text);
        metrics = await server.CreateClient().GetStringAsync("/metrics");
        Assert.Equal(0, Value(metrics, "kvtiering_write_failures_total{[^}]*kvtiering_tier=\"redis\"[^}]*}"));
    }

    [Theory]
    [InlineData(",password=not-the-secret")]
    [InlineData("")]
    public async Task A_password_the_remote_server_refuses_stops_the_start_naming_the_setting(string credentials)
    {
        using var garnet = new GarnetTestServer(Password);
        (int rc, string errors) = await ServerProcess.RunToExitAsync("--AgentServer:Preset=tiny", "--AgentServer:ContextSize=256",
            $"--KvTiering:Redis:Configuration={garnet.Configuration}{credentials}");
        Assert.Equal(2, rc);
        Assert.StartsWith($"AgentServer: KvTiering:Redis:Configuration: The Redis server at {garnet.Configuration} refused this tier's credentials",
            errors, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }

    /// <summary>A long first turn, then the next: its snapshot is restored, and from the remote tier.</summary>
    private static async Task<(List<ChatMessage> Messages, ChatCompletion Second)> TwoTurnsRestoredFromRedis(TestServerFactory server)
    {
        List<ChatMessage> messages = Conversation.FirstTurn("Read these files and list what each does: " +
            string.Join(' ', Enumerable.Range(0, 80).Select(i => $"src/f{i}.cs")));
        messages.Add(new AssistantChatMessage((await server.Chat().CompleteChatAsync(messages, Greedy)).Value.Content[0].Text));
        messages.Add(new UserChatMessage("Now only the ones under 100 lines."));

        ChatCompletion second = (await server.Chat().CompleteChatAsync(messages, Greedy)).Value;

        string metrics = await server.CreateClient().GetStringAsync("/metrics");
        Assert.True(second.Usage.InputTokenDetails!.CachedTokenCount > 0, "the second turn restored nothing: " + string.Join('\n',
            metrics.Split('\n').Where(l => l.StartsWith("kvtiering_", StringComparison.Ordinal) || l.StartsWith("agentserver_restores", StringComparison.Ordinal))
                .Where(l => !l.EndsWith(" 0", StringComparison.Ordinal))));
        Assert.Equal(1, Value(metrics, "agentserver_restores_total{[^}]*source=\"redis\"[^}]*}"));
        return (messages, second);
    }

    /// <summary>The sum of the Prometheus samples whose name and labels match <paramref name="series"/> (0 when none).</summary>
    private static double Value(string scrape, string series) =>
        SampleLine().Matches(scrape).Where(m => Regex.IsMatch(m.Groups[1].Value, "^" + series + "$"))
            .Sum(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
