using static KvTiering.Simulation.Tests.Cli.KvtierRun;

namespace KvTiering.Simulation.Tests.Cli;

/// <summary>
/// A folder given to --trace is read as WEKA sessions. A user who points it at the folder of a Mooncake trace
/// (../shared/traces/mooncake) is told which trace files it holds, not only that it has no WEKA sessions.
/// </summary>
public sealed class TraceFolderMessageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_folder_of_other_traces_names_them()
    {
        string folder = Path.GetDirectoryName(_dir.Write("mooncake/synthetic_trace.jsonl", ""))!;
        _dir.Write("mooncake/conversation_trace.jsonl", "");
        (int rc, _, string errors) = Kvtier("simulate", "--trace", folder, "--no-cache", "--policy", "lru");
        Assert.Equal(1, rc);
        Assert.Contains($"No WEKA session files (*.json, *.json.gz) in '{folder}'.", errors, StringComparison.Ordinal);
        Assert.Contains($"give its path, e.g. '{Path.Combine(folder, "conversation_trace.jsonl")}' (here: conversation_trace.jsonl, synthetic_trace.jsonl)",
            errors, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_folder_says_only_that_it_has_no_sessions()
    {
        string folder = Directory.CreateDirectory(_dir.File("empty")).FullName;
        (int rc, _, string errors) = Kvtier("simulate", "--trace", folder, "--no-cache", "--policy", "lru");
        Assert.Equal(1, rc);
        Assert.Contains("No WEKA session files", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("A folder is read as WEKA sessions", errors, StringComparison.Ordinal);
    }
}
