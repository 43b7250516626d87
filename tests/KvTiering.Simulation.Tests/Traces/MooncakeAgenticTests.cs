using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

/// <summary>Dynamo's agentic Mooncake rows: sessions, dependencies and tool waits become sessions, turn ends and response times.</summary>
public sealed class MooncakeAgenticTests
{
    private static readonly TraceLoadOptions NoCache = new() { UseCache = false };

    [Fact]
    public void AgenticRows_GiveSessions_ToolCallTurnEnds_AndResponseTimes()
    {
        // root: r1 [1000, 1100] → tool 1150..1250 → r2 starts 1300 (delay 100 = 1300 − 1100 − 100 tool ms).
        // child (a sub-agent of root) waits on r1; root's r3 joins r2 and the child, so it sets no response time.
        using var dir = new TempDirectory();
        string file = dir.Write("agentic.jsonl",
            """
            {"request_id": "r1", "session_id": "root", "timestamp": 1000, "input_length": 512, "output_length": 5, "hash_ids": [11], "wait_for": [], "branches": ["c1"], "prefix_reset": true}
            {"request_id": "c1", "session_id": "child", "timestamp": 1200, "input_length": 512, "output_length": 5, "hash_ids": [33], "delay": 100, "wait_for": ["r1"]}
            {"request_id": "r2", "session_id": "root", "timestamp": 1300, "input_length": 1024, "output_length": 5, "hash_ids": [11, 22], "delay": 100, "tool_wait_ms": 100, "wait_for": ["r1"]}
            {"request_id": "r3", "session_id": "root", "timestamp": 2000, "input_length": 1536, "output_length": 5, "hash_ids": [11, 22, 44], "delay": 50, "tool_wait_ms": null, "wait_for": ["r2", "c1"]}
            """);

        Trace trace = TraceLoader.Load(file, TraceFormat.Mooncake, NoCache);

        Assert.Equal([1L, 2L, 1L, 1L], trace.Session);
        Assert.Equal([TurnEnd.ToolCall, TurnEnd.EndOfTurn, TurnEnd.Unknown, TurnEnd.EndOfTurn], trace.TurnEnds);
        Assert.NotNull(trace.ResponseSeconds);
        Assert.Equal(0.1, trace.ResponseSeconds![0], 12); // r1 ended at 1300 − 100 − 100 = 1100
        Assert.Equal(0.0, trace.ResponseSeconds[2]);     // r2: only a join follows it
        Assert.Equal([[0], [1], [0, 2], [0, 2, 3]], TraceAssert.Requests(trace));
    }

    [Fact]
    public void PlainMooncake_HasNoSessionsOrHints()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("plain.jsonl", """{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [1]}""");

        Trace trace = TraceLoader.Load(file, TraceFormat.Mooncake, NoCache);

        Assert.Equal([0L], trace.Session);
        Assert.Null(trace.TurnEnds);
        Assert.Null(trace.ResponseSeconds);
    }

    [Theory]
    [InlineData("""{"request_id": "a", "timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [1], "wait_for": ["zz"]}""", "'zz'")]
    [InlineData("""{"request_id": "a", "timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [1], "tool_wait_ms": -5}""", "tool_wait_ms")]
    [InlineData("""{"request_id": "a", "timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [1], "wait_for": "a"}""", "wait_for")]
    [InlineData("""{"session_id": [1], "timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [1]}""", "session_id")]
    public void MalformedAgenticField_FailsWithLineAndField(string second, string expected)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("bad.jsonl",
            "{\"request_id\": \"x\", \"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n" + second + "\n");

        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(file, TraceFormat.Mooncake, NoCache));

        Assert.Equal(2, ex.LineNumber);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("session_id")]
    [InlineData("request_id")]
    [InlineData("wait_for")]
    public void InvalidUtf8InAnId_FailsWithLineAndField(string field)
    {
        // Found by AFL (tests/KvTiering.Fuzz): GetString on invalid UTF-8 threw InvalidOperationException.
        using var dir = new TempDirectory();
        string value = field == "wait_for" ? "[\"\u0001\"]" : "\"\u0001\"";
        byte[] second = System.Text.Encoding.UTF8.GetBytes(
            $"{{\"request_id\": \"b\", \"timestamp\": 1, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1], \"{field}\": {value}}}\n");
        int bad = Array.IndexOf(second, (byte)1);
        second[bad] = 0xFF; // not UTF-8
        string file = System.IO.Path.Combine(dir.Path, "utf8.jsonl");
        File.WriteAllBytes(file, [.. System.Text.Encoding.UTF8.GetBytes(
            "{\"request_id\": \"a\", \"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n"), .. second]);

        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(file, TraceFormat.Mooncake, NoCache));

        Assert.Equal(2, ex.LineNumber);
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
    }
}
