using System.Globalization;
using System.Text;
using KvTiering.Blocks;
using KvTiering.Placement;
using static KvTiering.Simulation.Tests.Cli.KvtierRun;

namespace KvTiering.Simulation.Tests.Cli;

public sealed class ExplainCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Simulate_writes_the_ledger_and_explain_tells_its_story()
    {
        string trace = WriteTrace();
        string ledgerPath = _dir.File("ledger.jsonl");
        (int rc, string output, string errors) = Kvtier("simulate", "--trace", trace, "--format", "mooncake", "--no-cache", "--quiet",
            "--policy", "lru", "--tiers", "hbm3:4,dram:8,flash:40", "--model", "llama-3.1-8b",
            "--labels-from", "session-size+context:2048", "--explain", ledgerPath);
        Assert.True(rc == 0, errors);
        Assert.Contains("tokens served", output, StringComparison.Ordinal);
        Assert.Contains("mean TTFT ms", output, StringComparison.Ordinal);
        Assert.Contains("long,batch", output, StringComparison.Ordinal);

        PlacementLedger ledger;
        using (FileStream file = File.OpenRead(ledgerPath))
        {
            ledger = PlacementLedger.ReadJsonLines(file);
        }

        Assert.Equal(["hbm3", "dram", "flash"], ledger.TierNames);
        Assert.Contains(ledger.Snapshot(), e => e.Action == PlacementAction.Admit && e.Reason == PlacementReason.BatchBelowAccelerator && e.ToTier == 1);

        (rc, output, _) = Kvtier("explain", "--ledger", ledgerPath);
        Assert.Equal(0, rc);
        Assert.Contains("batch-below-accelerator", output, StringComparison.Ordinal);
        Assert.Contains("outside       1 dram", output, StringComparison.Ordinal);

        (rc, output, _) = Kvtier("explain", "--ledger", ledgerPath, "--session", "0", "--limit", "3");
        Assert.Equal(0, rc);
        Assert.StartsWith("session 0:", output, StringComparison.Ordinal);
        Assert.Contains("more (--limit N)", output, StringComparison.Ordinal);
        Assert.Contains("where its blocks are now", output, StringComparison.Ordinal);

        // Trace block id 0 is the first block of every request: admitted once, then hit.
        BlockKey first = ledger.Snapshot().First(e => e.Depth == 0).Key;
        (rc, output, _) = Kvtier("explain", "--ledger", ledgerPath, "--block", first.ToString());
        Assert.Equal(0, rc);
        Assert.StartsWith($"block {first}:", output, StringComparison.Ordinal);
        (int rcById, string byId, _) = Kvtier("explain", "--ledger", ledgerPath, "--block", "0");
        Assert.Equal(0, rcById);
        Assert.Contains("admit", byId, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, "option --ledger is required", "explain")]
    [InlineData(2, "not both", "explain", "--ledger", "x", "--session", "1", "--block", "1")]
    [InlineData(2, "is not a session id", "explain", "--ledger", "x", "--session", "abc")]
    [InlineData(2, "neither a 32-hex-digit block key", "explain", "--ledger", "x", "--block", "zz")]
    [InlineData(2, "--limit 0", "explain", "--ledger", "x", "--limit", "0")]
    [InlineData(1, "does not exist", "explain", "--ledger", "no-such-ledger.jsonl")]
    public void Explain_refuses_bad_arguments_with_one_line(int code, string message, params string[] args)
    {
        (int rc, _, string errors) = Kvtier(args);
        Assert.Equal(code, rc);
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_ledger_that_dropped_entries_says_so_and_how_to_keep_them()
    {
        string trace = WriteTrace();
        string ledgerPath = _dir.File("small.jsonl");
        (int rc, string output, string errors) = Kvtier("simulate", "--trace", trace, "--format", "mooncake", "--no-cache",
            "--policy", "lru", "--capacity", "4", "--labels-from", "session-size+context:2048", "--explain", ledgerPath, "--ledger-capacity", "2");
        Assert.True(rc == 0, errors);
        Assert.Contains("older entries dropped", output, StringComparison.Ordinal);
        Assert.Contains("--ledger-capacity", output, StringComparison.Ordinal);

        (rc, output, _) = Kvtier("explain", "--ledger", ledgerPath);
        Assert.Equal(0, rc);
        Assert.Contains("earlier sessions may be missing", output, StringComparison.Ordinal);

        (rc, _, errors) = Kvtier("explain", "--ledger", ledgerPath, "--session", "987654");
        Assert.Equal(1, rc);
        Assert.Contains("dropped", errors, StringComparison.Ordinal);
        Assert.Contains("--ledger-capacity", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_reports_a_malformed_ledger_line_and_an_unknown_session()
    {
        string bad = _dir.Write("bad.jsonl", "{\"kind\":\"kvtiering-ledger\",\"version\":1}\n{\"action\":\"fly\",\"block\":\"00\"}\n");
        (int rc, _, string errors) = Kvtier("explain", "--ledger", bad);
        Assert.Equal(1, rc);
        Assert.Contains("line 2", errors, StringComparison.Ordinal);

        string good = _dir.Write("good.jsonl",
            $"{{\"action\":\"admit\",\"reason\":\"top-tier\",\"block\":\"{new BlockKey(1, 2)}\",\"session\":5,\"from\":-1,\"to\":0}}\n");
        (rc, _, errors) = Kvtier("explain", "--ledger", good, "--session", "6");
        Assert.Equal(1, rc);
        Assert.Contains("no entries for session 6", errors, StringComparison.Ordinal);
        Assert.Contains("the ledger dropped nothing", errors, StringComparison.Ordinal);
        (rc, string output, _) = Kvtier("explain", "--ledger", good, "--session", "5");
        Assert.Equal(0, rc);
        Assert.StartsWith("session 5: 1 ledger entries about 1 blocks", output, StringComparison.Ordinal);
        Assert.Contains("outside -> 0  block", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulate_refuses_bad_placement_options()
    {
        string trace = WriteTrace();
        string[] common = ["simulate", "--trace", trace, "--format", "mooncake", "--no-cache", "--quiet"];
        Assert.Contains("records one run", Kvtier([.. common, "--policy", "lru,fifo", "--capacity", "10", "--explain", _dir.File("l")]).Errors,
            StringComparison.Ordinal);
        Assert.Contains("needs --explain", Kvtier([.. common, "--ledger-capacity", "10"]).Errors, StringComparison.Ordinal);
        Assert.Contains("--labels-from", Kvtier([.. common, "--labels-from", "vibes"]).Errors, StringComparison.Ordinal);
        Assert.Contains("Unknown accelerator", Kvtier([.. common, "--accelerator", "abacus"]).Errors, StringComparison.Ordinal);
        Assert.Equal(2, Kvtier([.. common, "--labels-from", "vibes"]).Code);
    }

    /// <summary>A Mooncake trace of 60 requests: 512-token blocks, a shared first block, some one-off long documents.</summary>
    private string WriteTrace()
    {
        var sb = new StringBuilder();
        var rng = new Random(11);
        int next = 1000;
        for (int r = 0; r < 60; r++)
        {
            int blocks = 1 + rng.Next(8);
            var ids = new List<int> { 0 };
            for (int b = 1; b < blocks; b++)
            {
                ids.Add(r % 3 == 0 ? next++ : b);
            }

            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{{\"timestamp\": {r * 100}, \"input_length\": {blocks * 512}, \"output_length\": 50, \"hash_ids\": [{string.Join(",", ids)}]}}");
        }

        return _dir.Write("trace.jsonl", sb.ToString());
    }
}
