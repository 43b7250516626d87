using System.Text.Json;
using static KvTiering.Simulation.Tests.Cli.KvtierRun;

namespace KvTiering.Simulation.Tests.Cli;

public sealed class SimulateCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Simulate_writes_json_csv_and_svg_with_the_documented_fields()
    {
        string trace = WriteMooncake("{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 10, \"hash_ids\": [1, 2]}",
            "{\"timestamp\": 1000, \"input_length\": 1536, \"output_length\": 10, \"hash_ids\": [1, 2, 3]}");
        string json = _dir.File("out.json"), csv = _dir.File("out.csv"), svg = _dir.File("out.svg");
        (int rc, string output, string errors) = Kvtier("simulate", "--trace", trace, "--format", "mooncake", "--no-cache",
            "--policy", "lru,belady", "--capacity", "2,50%", "--json", json, "--csv", csv, "--svg", svg);
        Assert.True(rc == 0, errors);
        Assert.Contains("lru", output, StringComparison.Ordinal);

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement run = doc.RootElement.GetProperty("run");
        Assert.Equal(512, run.GetProperty("block_tokens").GetInt32());
        Assert.Equal("mooncake", run.GetProperty("format").GetString());
        Assert.False(string.IsNullOrEmpty(run.GetProperty("version").GetString()));
        Assert.True(run.GetProperty("peak_working_set_bytes").GetInt64() > 1_000_000, "peak memory missing");
        Assert.True(run.GetProperty("gc_heap_bytes").GetInt64() > 0, "heap size missing");
        Assert.True(run.GetProperty("allocated_bytes").GetInt64() > 0, "allocations missing");
        Assert.Equal(4, doc.RootElement.GetProperty("results").GetArrayLength());
        JsonElement first = doc.RootElement.GetProperty("results")[0];
        foreach (string field in new[] { "policy", "capacity_blocks", "token_hit_rate", "block_hit_rate", "requests", "references", "elapsed_seconds", "references_per_second" })
        {
            Assert.True(first.TryGetProperty(field, out _), $"missing {field}");
        }

        // Request 2 hits blocks 1 and 2 (1,024 of 1,536 tokens) at either capacity.
        Assert.Equal(1024.0 / (1024 + 1536), first.GetProperty("token_hit_rate").GetDouble(), 12);
        Assert.StartsWith("trace,policy,capacity_blocks", File.ReadAllText(csv), StringComparison.Ordinal);
        Assert.Equal("svg", System.Xml.Linq.XDocument.Load(svg).Root!.Name.LocalName);

        (rc, _, errors) = Kvtier("mrc", "--json", json, "--svg", _dir.File("again.svg"), "--png", _dir.File("again.png"));
        Assert.True(rc == 0, errors);
        Assert.Contains("stroke-dasharray", File.ReadAllText(_dir.File("again.svg")), StringComparison.Ordinal); // belady dashed
        Assert.Equal((byte)'P', File.ReadAllBytes(_dir.File("again.png"))[1]);

        // Only lru and belady: no policy to measure against the gap, and the error says what is missing.
        (rc, _, errors) = Kvtier("mrc", "--json", json, "--svg", _dir.File("again.svg"), "--gap-plot", _dir.File("gap.svg"));
        Assert.NotEqual(0, rc);
        Assert.Contains("--gap-plot needs lru, belady and another policy", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulate_draws_the_gap_chart_and_for_tiers_the_per_tier_split()
    {
        string trace = WriteMooncake("{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 10, \"hash_ids\": [1, 2]}",
            "{\"timestamp\": 1000, \"input_length\": 1536, \"output_length\": 10, \"hash_ids\": [3, 4, 5]}",
            "{\"timestamp\": 2000, \"input_length\": 1536, \"output_length\": 10, \"hash_ids\": [1, 2, 6]}",
            "{\"timestamp\": 3000, \"input_length\": 1536, \"output_length\": 10, \"hash_ids\": [3, 4, 7]}");
        string gap = _dir.File("gap.png"), tiers = _dir.File("tiers.svg");
        (int rc, _, string errors) = Kvtier("simulate", "--trace", trace, "--format", "mooncake", "--no-cache", "--quiet",
            "--policy", "lru,fifo,belady", "--capacity", "2,3", "--gap-plot", gap);
        Assert.True(rc == 0, errors);
        Assert.Equal((byte)'P', File.ReadAllBytes(gap)[1]);

        (rc, _, errors) = Kvtier("simulate", "--trace", trace, "--format", "mooncake", "--no-cache", "--quiet",
            "--policy", "lru,belady", "--tiers", "hbm3:1,dram:2", "--svg", tiers);
        Assert.True(rc == 0, errors);
        string[] texts = [.. System.Xml.Linq.XDocument.Load(tiers).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim())];
        Assert.Contains(texts, t => t.EndsWith("tokens served per tier", StringComparison.Ordinal));
        Assert.Contains("hbm3", texts);
        Assert.Contains("dram", texts);
    }

    [Theory]
    [InlineData("unknown option --bogus", "simulate", "--bogus")]
    [InlineData("capacity '0' must be positive", "simulate", "--capacity", "0")]
    [InlineData("capacity '-5%' must be positive", "simulate", "--capacity", "-5%")]
    [InlineData("neither a block count nor a percentage", "simulate", "--capacity", "lots")]
    [InlineData("Unknown eviction policy 'nope'", "simulate", "--policy", "nope")]
    [InlineData("did you mean 'lru'?", "simulate", "--policy", "lur")]
    [InlineData("Unknown agent policy setting 'lindi' in 'agent:lindi=1'. Valid: lindy, probation", "simulate", "--policy", "agent:lindi=1")]
    [InlineData("(did you mean 'lindy'?)", "simulate", "--policy", "agent:tail=false+lindi=1")]
    [InlineData("(did you mean 'usernever'?)", "simulate", "--policy", "lru,agent:usernevr=1")]
    [InlineData("S3-FIFO's move-to-main threshold 4 must be 1, 2 or 3 hits. ('s3fifo:small=0.2+threshold=4')", "simulate", "--policy", "lru,s3fifo:small=0.2,threshold=4")]
    [InlineData("did you mean 'hbm3'?", "simulate", "--tiers", "hbm:1%")]
    [InlineData("did you mean 'llama-3.1-8b'?", "simulate", "--model", "llama-3.1-8")]
    [InlineData("unknown option --capacty (did you mean '--capacity'?)", "simulate", "--capacty", "5%")]
    [InlineData("unknown command 'simulat' (did you mean 'simulate'?)", "simulat")]
    [InlineData("unexpected argument 'stray'", "simulate", "stray")]
    [InlineData("--parallel -1 must not be negative", "simulate", "--parallel", "-1")]
    [InlineData("--format 'cvs' is not one of", "simulate", "--format", "cvs", "--trace", "x")]
    [InlineData("(did you mean 'csv'?)", "simulate", "--format", "cvs", "--trace", "x")]
    [InlineData("--semantics 'exact' is not one of prefix, reference", "simulate", "--semantics", "exact")]
    [InlineData("Unknown csv trace option 'id-col'", "simulate", "--format", "csv", "--trace", "x", "--trace-options", "id-col=2")]
    [InlineData("option --trace needs a value", "simulate", "--trace")]
    [InlineData("unknown command 'frobnicate'", "frobnicate")]
    [InlineData("--hints and --no-hints contradict each other", "simulate", "--hints", "--no-hints")]
    public void Bad_flags_give_one_clear_line_and_exit_code_2(string message, params string[] args)
    {
        (int rc, _, string errors) = Kvtier(args);
        Assert.Equal(2, rc);
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter '", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_malformed_line_and_truncated_gzip_exit_1_with_the_reason()
    {
        (int rc, _, string errors) = Kvtier("simulate", "--trace", _dir.File("absent.jsonl"), "--format", "mooncake", "--no-cache");
        Assert.Equal(1, rc);
        Assert.Contains("absent.jsonl", errors, StringComparison.Ordinal);

        string bad = WriteMooncake("{\"timestamp\": 0, \"input_length\": 512, \"output_length\": 1, \"hash_ids\": [1]}", "{\"timestamp\": oops}");
        (rc, _, errors) = Kvtier("simulate", "--trace", bad, "--format", "mooncake", "--no-cache");
        Assert.Equal(1, rc);
        Assert.Contains("line 2", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);

        string gz = _dir.File("trace_0001.json.gz");
        using (var buffer = new MemoryStream())
        {
            using (var zip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                zip.Write(System.Text.Encoding.UTF8.GetBytes("{\"id\":\"t\",\"block_size\":64,\"requests\":[" + new string(' ', 4000) + "]}"));
            }

            File.WriteAllBytes(gz, buffer.ToArray()[..(int)(buffer.Length / 2)]);
        }

        (rc, _, errors) = Kvtier("simulate", "--trace", gz, "--format", "weka", "--no-cache");
        Assert.Equal(1, rc);
        Assert.Contains("trace_0001.json.gz", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_files_and_the_gap_chart_are_checked_before_the_trace_is_read()
    {
        // The trace does not exist either: each error below proves its check ran before the trace was loaded.
        string absent = _dir.File("absent.jsonl");
        string lost = Path.Combine(_dir.File("no-such-folder"), "out.json");
        (int rc, _, string errors) = Kvtier("simulate", "--trace", absent, "--json", lost);
        Assert.Equal(1, rc);
        Assert.Contains($"--json '{lost}': the folder '{Path.GetDirectoryName(lost)}' does not exist", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("absent.jsonl", errors, StringComparison.Ordinal);

        (rc, _, errors) = Kvtier("simulate", "--trace", absent, "--png", _dir.File("curves.svg"));
        Assert.Equal(2, rc);
        Assert.Contains("--png '", errors, StringComparison.Ordinal);
        Assert.Contains("curves.svg' must end in .png", errors, StringComparison.Ordinal);

        (rc, _, errors) = Kvtier("simulate", "--trace", absent, "--gap-plot", _dir.File("gap.jpg"), "--policy", "lru,agent,belady");
        Assert.Equal(2, rc);
        Assert.Contains("gap.jpg' must end in .svg or .png", errors, StringComparison.Ordinal);

        (rc, _, errors) = Kvtier("simulate", "--trace", absent, "--gap-plot", _dir.File("gap.svg"), "--policy", "lru,agent");
        Assert.Equal(2, rc);
        Assert.Contains("--gap-plot needs lru, belady and another policy", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trace_with_turn_ends_is_replayed_with_hints_unless_no_hints_says_otherwise()
    {
        string weka = _dir.Write("trace_0001.json", Traces.WekaJson.Session(64, 0,
            Traces.WekaJson.Ending(0, "end_turn", 2, 1, 2), Traces.WekaJson.Ending(60, "tool_use", 3, 1, 2, 3)));
        string mooncake = WriteMooncake("{\"timestamp\": 0, \"input_length\": 512, \"output_length\": 1, \"hash_ids\": [1]}");

        (int rc, string hinted, string errors) = Kvtier("simulate", "--trace", weka, "--no-cache", "--quiet", "--policy", "agent,lru", "--capacity", "2");
        Assert.True(rc == 0, errors);
        (rc, string bare, errors) = Kvtier("simulate", "--trace", weka, "--no-cache", "--quiet", "--policy", "agent", "--capacity", "2", "--no-hints");
        Assert.True(rc == 0, errors);
        (rc, string sessionLess, errors) = Kvtier("simulate", "--trace", mooncake, "--format", "mooncake", "--no-cache", "--quiet", "--policy", "agent", "--capacity", "2");
        Assert.True(rc == 0, errors);

        Assert.Contains("agent+hints", hinted, StringComparison.Ordinal);
        Assert.DoesNotContain("lru+hints", hinted, StringComparison.Ordinal); // lru ignores hints: no suffix
        Assert.Contains("+hints: the policy was told", hinted, StringComparison.Ordinal);
        Assert.DoesNotContain("+hints", bare, StringComparison.Ordinal);
        Assert.DoesNotContain("+hints", sessionLess, StringComparison.Ordinal); // nothing to hint: the label says so
    }

    [Fact]
    public void Reference_semantics_says_its_token_hit_rate_is_the_block_hit_rate()
    {
        string trace = _dir.File("ids.txt");
        File.WriteAllLines(trace, ["1", "2", "1", "3", "1"]);
        (int rc, string output, string errors) = Kvtier("simulate", "--trace", trace, "--no-cache", "--quiet",
            "--policy", "lru", "--capacity", "2", "--semantics", "reference");
        Assert.True(rc == 0, errors);
        Assert.Contains("0.4000", output, StringComparison.Ordinal); // two hits (the second and third 1) in five
        Assert.Contains("the token hit rate is the block hit rate", output, StringComparison.Ordinal);

        (rc, output, errors) = Kvtier("simulate", "--trace", trace, "--no-cache", "--quiet", "--policy", "lru", "--capacity", "2");
        Assert.True(rc == 0, errors);
        Assert.DoesNotContain("the token hit rate is the block hit rate", output, StringComparison.Ordinal);
    }

    private string WriteMooncake(params string[] lines)
    {
        string path = _dir.File($"trace-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }
}
