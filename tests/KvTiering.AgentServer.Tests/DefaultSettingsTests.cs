using AgentServer;
using KvTiering.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The defaults docs/serving.md lists hold wherever the server is started from. appsettings.json is read from the
/// content root (the current directory), so `dotnet path/to/AgentServer.dll` run from elsewhere (as docs/kv-events.md's
/// walk-through does, from the repository root) finds none; the store's tiers must still run the agent policy.
/// </summary>
public sealed class DefaultSettingsTests
{
    [Fact]
    public async Task Without_appsettings_both_tiers_run_the_agent_policy()
    {
        using var root = new TempDirectory(); // an empty content root: no appsettings.json
        await using WebApplication app = Build(root.Path);
        StoreStatistics statistics = app.Services.GetRequiredService<TieredKvStore>().GetStatistics();
        Assert.Equal(["agent", "agent"], statistics.Tiers.Select(t => t.Policy));
    }

    [Fact]
    public async Task A_policy_set_on_the_command_line_still_wins()
    {
        using var root = new TempDirectory();
        await using WebApplication app = Build(root.Path, "--KvTiering:MemoryPolicy=lru", "--KvTiering:FlashPolicy=clock");
        StoreStatistics statistics = app.Services.GetRequiredService<TieredKvStore>().GetStatistics();
        Assert.Equal(["lru", "clock"], statistics.Tiers.Select(t => t.Policy));
    }

    private static WebApplication Build(string contentRoot, params string[] more) => AgentServerApp.Build(
    [
        "--contentRoot", contentRoot, "--urls", "http://127.0.0.1:0",
        "--AgentServer:Preset=tiny", "--AgentServer:ContextSize=256",
        $"--AgentServer:ModelDirectory={Path.Combine(Path.GetTempPath(), "kvtiering-agent-server-tests-model")}",
        "--KvTiering:MemoryBytes=1048576", "--KvTiering:FlashBytes=4194304", $"--KvTiering:FlashDirectory={contentRoot}",
        "--Logging:LogLevel:Default=Warning", .. more,
    ]);
}
