using static KvTiering.Simulation.Tests.Cli.KvtierRun;

namespace KvTiering.Simulation.Tests.Cli;

/// <summary>
/// Options that shape one kind of trace are refused, with the format named, on any other: --sessions even and odd of
/// a Mooncake trace used to replay the same requests twice and read like a held-out result.
/// </summary>
public sealed class TraceOptionScopeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("--sessions applies to WEKA traces only; this one is read as mooncake", "--sessions", "even")]
    [InlineData("--stagger applies to WEKA traces only; this one is read as mooncake", "--stagger", "5")]
    [InlineData("--shared-tools applies to WEKA traces only; this one is read as mooncake", "--shared-tools")]
    [InlineData("--seed seeds the synthetic workload only (no --trace); this trace is read as mooncake", "--seed", "3")]
    public void A_weka_or_synthetic_option_on_a_mooncake_trace_is_refused(string message, params string[] option)
    {
        string trace = _dir.Write("t.jsonl", "{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 10, \"hash_ids\": [1, 2]}");
        (int rc, string output, string errors) = Kvtier(["simulate", "--trace", trace, "--no-cache", "--policy", "lru", "--capacity", "1", .. option]);
        Assert.Equal(2, rc);
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public void The_weka_options_still_shape_a_weka_replay()
    {
        string session = "{\"id\":\"s\",\"block_size\":64,\"requests\":[{\"t\":0,\"type\":\"n\",\"in\":128,\"out\":1,\"hash_ids\":[1,2]}," +
            "{\"t\":5,\"type\":\"n\",\"in\":192,\"out\":1,\"hash_ids\":[1,2,3]}]}";
        _dir.Write("weka/trace_0001.json", session);
        string folder = Path.GetDirectoryName(_dir.Write("weka/trace_0002.json", session))!;
        (int rc, string output, string errors) = Kvtier("simulate", "--trace", folder, "--no-cache", "--quiet", "--policy", "lru",
            "--capacity", "100%", "--sessions", "odd", "--stagger", "10", "--shared-tools");
        Assert.True(rc == 0, errors);
        Assert.Contains("100% (3 blocks)", output, StringComparison.Ordinal); // one session of the two: 3 unique blocks
    }
}
