using static KvTiering.Simulation.Tests.Cli.KvtierRun;

namespace KvTiering.Simulation.Tests.Cli;

/// <summary><c>kvtier simulate --close-hints DELAY [--close-share P] [--close-seed N]</c>.</summary>
public sealed class SimulateCloseHintsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Closes_are_labelled_with_or_without_turn_end_hints()
    {
        string weka = _dir.Write("trace_0001.json", Traces.WekaJson.Session(64, 0,
            Traces.WekaJson.Ending(0, "end_turn", 2, 1, 2), Traces.WekaJson.Ending(60, "tool_use", 3, 1, 2, 3)));

        (int rc, string closed, string errors) = Kvtier("simulate", "--trace", weka, "--no-cache", "--quiet", "--policy", "agent,lru",
            "--capacity", "2", "--close-hints", "0");
        Assert.True(rc == 0, errors);
        (rc, string alone, errors) = Kvtier("simulate", "--trace", weka, "--no-cache", "--quiet", "--policy", "agent", "--capacity", "2",
            "--no-hints", "--close-hints", "60", "--close-share", "0.5", "--close-seed", "7");
        Assert.True(rc == 0, errors);

        Assert.Contains("agent+hints+close0s", closed, StringComparison.Ordinal);
        Assert.DoesNotContain("lru+", closed, StringComparison.Ordinal); // lru reads no hints: no suffix
        Assert.Contains("+hints: the policy was told", closed, StringComparison.Ordinal);
        Assert.Contains("+closeDs: the policy was told each session's end", closed, StringComparison.Ordinal);
        Assert.Contains("agent+close60s@0.5", alone, StringComparison.Ordinal);
        Assert.DoesNotContain("+hints", alone, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--close-hints '-5' is not a delay in seconds of 0 or more", "--close-hints", "-5")]
    [InlineData("--close-hints 'soon' is not a delay in seconds of 0 or more", "--close-hints", "soon")]
    [InlineData("--close-hints 'Infinity' is not a delay in seconds of 0 or more", "--close-hints", "Infinity")]
    [InlineData("--close-share '0' is not a share in (0, 1]", "--close-hints", "0", "--close-share", "0")]
    [InlineData("--close-share '2' is not a share in (0, 1]", "--close-hints", "0", "--close-share", "2")]
    [InlineData("--close-seed '-1' is not a non-negative integer", "--close-hints", "0", "--close-seed", "-1")]
    [InlineData("--close-share and --close-seed need --close-hints DELAY", "--close-share", "0.5")]
    public void A_bad_value_is_refused_naming_it(string message, params string[] args)
    {
        (int rc, _, string errors) = Kvtier(["simulate", .. args]);

        Assert.Equal(2, rc);
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }
}
