namespace KvTiering.Simulation.Tests.Cli;

/// <summary><c>kvtier report</c>'s checks before it replays anything.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_missing_trace_fails_before_the_first_replay_naming_it()
    {
        string traces = _dir.File("traces");
        Directory.CreateDirectory(Path.Combine(traces, "mooncake"));
        File.WriteAllText(Path.Combine(traces, "mooncake", "conversation_trace.jsonl"),
            "{\"timestamp\": 0, \"input_length\": 512, \"output_length\": 1, \"hash_ids\": [1]}\n");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = KvTiering.Cli.Cli.Run(["report", "--traces", traces, "--out", _dir.File("results.md"), "--policy", "lru"], stdout, stderr);
        Assert.Equal(1, rc);
        Assert.Contains("synthetic_trace.jsonl' (mooncake-synthetic) does not exist", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("kvtier report: mooncake-conversation", stderr.ToString(), StringComparison.Ordinal); // nothing replayed
        Assert.False(File.Exists(_dir.File("results.md")));
    }
}
