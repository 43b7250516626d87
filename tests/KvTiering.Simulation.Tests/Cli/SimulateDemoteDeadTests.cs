using System.Text.Json;
using static KvTiering.Simulation.Tests.Cli.KvtierRun;

namespace KvTiering.Simulation.Tests.Cli;

/// <summary>
/// <c>kvtier simulate --tiers ... [--demote-dead]</c>: by default a victim the policy knows dead (agent: a closed
/// session's private blocks) leaves the store and is counted in the tier's <c>dead_drops</c>; with the flag it is
/// demoted as before, and the row says so.
/// </summary>
public sealed class SimulateDemoteDeadTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Closed_sessions_victims_are_dropped_unless_asked_to_demote_them()
    {
        string drop = Path.Combine(_dir.Path, "drop.json");
        string demote = Path.Combine(_dir.Path, "demote.json");
        string[] common = ["simulate", "--quiet", "--policy", "agent", "--tiers", "hbm3:1%,dram:5%,flash:20%", "--close-hints", "0", "--model", "llama-3.1-8b"];
        (int rc, _, string errors) = Kvtier([.. common, "--json", drop]);
        Assert.True(rc == 0, errors);
        (rc, string table, errors) = Kvtier([.. common, "--demote-dead", "--json", demote]);
        Assert.True(rc == 0, errors);

        JsonElement dropped = Tiers(drop);
        JsonElement demoted = Tiers(demote);
        Assert.True(dropped[0].GetProperty("dead_drops").GetInt64() > 0);
        Assert.False(demoted[0].TryGetProperty("dead_drops", out _)); // written only when not zero
        Assert.True(dropped[0].GetProperty("demotions").GetInt64() < demoted[0].GetProperty("demotions").GetInt64());
        Assert.True(dropped[2].GetProperty("bytes_written").GetInt64() < demoted[2].GetProperty("bytes_written").GetInt64());
        Assert.Contains("agent+demotedead+close0s", table, StringComparison.Ordinal);
    }

    [Fact]
    public void The_flag_needs_tiers()
    {
        (int rc, _, string errors) = Kvtier("simulate", "--demote-dead", "--capacity", "1%");

        Assert.Equal(2, rc);
        Assert.Contains("--demote-dead needs --tiers", errors, StringComparison.Ordinal);
    }

    private static JsonElement Tiers(string path)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("results")[0].GetProperty("tiers").Clone();
    }
}
