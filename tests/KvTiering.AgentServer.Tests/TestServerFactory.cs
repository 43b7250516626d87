using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using OpenAI;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The agent server in process on the tiny synthetic model (1.4M parameters, 2,048-token context), with a DRAM tier
/// and a flash tier in a directory of the caller's choosing, driven through the official OpenAI client.
/// </summary>
public sealed class TestServerFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public TestServerFactory(string flashDirectory, IDictionary<string, string?>? overrides = null)
    {
        _settings = Settings(flashDirectory);
        foreach (KeyValuePair<string, string?> pair in overrides ?? new Dictionary<string, string?>())
        {
            _settings[pair.Key] = pair.Value;
        }
    }

    /// <summary>The test settings: the tiny model (alias <c>tiny</c>), two sequences, a 64-block DRAM tier over a flash tier in <paramref name="flashDirectory"/>.</summary>
    public static Dictionary<string, string?> Settings(string flashDirectory) => new()
    {
        ["AgentServer:Preset"] = "tiny",
        ["AgentServer:ModelAliases:0"] = "tiny",
        ["AgentServer:ModelDirectory"] = Path.Combine(Path.GetTempPath(), "kvtiering-agent-server-tests-model"),
        ["AgentServer:ContextSize"] = "2048",
        ["AgentServer:Sequences"] = "2",
        ["AgentServer:QueueLength"] = "4",
        ["AgentServer:DefaultMaxTokens"] = "6",
        ["KvTiering:MemoryBytes"] = (64L * 16 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KvTiering:MemoryPolicy"] = "agent",
        ["KvTiering:FlashDirectory"] = flashDirectory,
        ["KvTiering:FlashBytes"] = (1024L * 16 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KvTiering:FlashPolicy"] = "agent",
    };

    /// <summary>The official client for the model alias <c>tiny</c>, talking to this server through the in-process transport.</summary>
    public ChatClient Chat() => new("tiny", new ApiKeyCredential("not-checked"), OpenAIOptions());

    /// <summary>The official client's options for this server: the in-process transport, no retries.</summary>
    public OpenAIClientOptions OpenAIOptions() => new()
    {
        Endpoint = new Uri(Server.BaseAddress, "/v1"),
        Transport = new HttpClientPipelineTransport(CreateClient()),
        RetryPolicy = new ClientRetryPolicy(0),
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(_settings));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }
}
