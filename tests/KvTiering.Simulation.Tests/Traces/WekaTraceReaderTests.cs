using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

public sealed class WekaTraceReaderTests
{
    private static readonly TraceLoadOptions NoCache = new() { UseCache = false };

    [Fact]
    public void Read_Directory_OrdersByTimeThenSessionIndex_AndNamespacesIdsPerFile()
    {
        using var dir = new TempDirectory();
        // Written out of name order: the session index comes from the file name, not the directory listing.
        dir.WriteGzip("trace_0002.json.gz", WekaJson.Session(64, 0,
            WekaJson.Request(0, 1, 2),
            WekaJson.Request(40, 1, 2, 3)));
        dir.Write("trace_0001.json", WekaJson.Session(64, 0,
            WekaJson.Request(0, 1, 2, 3),
            WekaJson.Request(30, 1, 2, 3, 4)));
        dir.Write("LICENSE", "not a trace");

        Trace trace = TraceLoader.Load(dir.Path, TraceFormat.Weka, NoCache);

        // Session 1 starts at 30 s: its first request ties session 0's second and goes after it.
        Assert.Equal([0.0, 30.0, 30.0, 70.0], trace.Time);
        Assert.Equal([1L, 1L, 2L, 2L], trace.Session); // from 1: session 0 means "no session" to the policies
        Assert.Equal([[0, 1, 2], [0, 1, 2, 3], [4, 5], [4, 5, 6]], TraceAssert.Requests(trace));
        Assert.Equal(7, trace.UniqueBlocks);
        Assert.Equal(64, trace.BlockTokens);
        Assert.Equal([192, 256, 128, 192], trace.InputTokens);
    }

    [Fact]
    public void Read_RecordsHowEachResponseEnded_AndHowLongItTook()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("trace_0001.json", WekaJson.Session(64, 0,
            WekaJson.Ending(0, "tool_use", 2.5, 1),
            WekaJson.Ending(10, "end_turn", 4, 1, 2),
            WekaJson.Ending(300, "", null, 1, 2, 3)));

        Trace trace = TraceLoader.Load(file, TraceFormat.Weka, NoCache);

        Assert.Equal([TurnEnd.ToolCall, TurnEnd.EndOfTurn, TurnEnd.Unknown], trace.TurnEnds!);
        Assert.Equal([2.5, 4.0, 0.0], trace.ResponseSeconds!);
    }

    [Fact]
    public void Read_NoApiTimeAnywhere_LeavesResponseSecondsNull()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("trace_0001.json", WekaJson.Session(64, 0, WekaJson.Ending(0, "end_turn", null, 1)));

        Trace trace = TraceLoader.Load(file, TraceFormat.Weka, NoCache);

        Assert.Equal([TurnEnd.EndOfTurn], trace.TurnEnds!);
        Assert.Null(trace.ResponseSeconds);
    }

    [Fact]
    public void Read_StaggerOption_SetsSessionStarts()
    {
        using var dir = new TempDirectory();
        dir.Write("trace_a.json", WekaJson.Session(64, 0, WekaJson.Request(1.25, 1)));
        dir.Write("trace_b.json", WekaJson.Session(64, 0, WekaJson.Request(1.25, 1)));
        dir.Write("trace_c.json", WekaJson.Session(64, 0, WekaJson.Request(1.25, 1)));

        Trace trace = TraceLoader.Load(dir.Path, TraceFormat.Weka, NoCache with { StaggerSeconds = 5 });

        Assert.Equal([1.25, 6.25, 11.25], trace.Time);
        Assert.Equal([[0], [1], [2]], TraceAssert.Requests(trace));
    }

    [Theory]
    [InlineData(0, new[] { "a", "c", "e" })]
    [InlineData(1, new[] { "b", "d" })]
    public void Read_SessionHalf_KeepsEveryOtherFile_StaggeredAsAWholeTrace(int remainder, string[] kept)
    {
        using var dir = new TempDirectory();
        foreach (string name in new[] { "a", "b", "c", "d", "e" })
        {
            // Each file's request comes (name[0] - 'a') tenths of a second into its session, so the times name the files.
            dir.Write($"trace_{name}.json", WekaJson.Session(64, 0, WekaJson.Request((name[0] - 'a') / 10.0, 1, 2)));
        }

        var options = NoCache with { StaggerSeconds = 10, SessionModulus = 2, SessionRemainder = remainder };
        Trace trace = TraceLoader.Load(dir.Path, TraceFormat.Weka, options);

        // The kept sessions start 10 s apart, as consecutive sessions of a whole trace do, and are numbered from 1.
        Assert.Equal(kept.Select((name, i) => (10.0 * i) + ((name[0] - 'a') / 10.0)), trace.Time);
        Assert.Equal(kept.Select((_, i) => 1L + i), trace.Session);
        Assert.Equal(2 * kept.Length, trace.UniqueBlocks);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 2)]
    [InlineData(2, -1)]
    public void Load_SessionHalfOutOfRange_NamesTheValue(int modulus, int remainder)
    {
        var options = NoCache with { SessionModulus = modulus, SessionRemainder = remainder };

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => TraceLoader.Load("unused", TraceFormat.Weka, options));

        Assert.Contains($"not {remainder} and {modulus}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Subagent_TimedFromItsEntry_StandsWhereItsEntryStands_AndHasItsOwnSession()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("trace_0001.json", WekaJson.Session(64, 0,
            WekaJson.Request(0, 1, 2),
            WekaJson.Subagent(5,
                WekaJson.Request(0, 100, 101),
                WekaJson.Request(2, 100, 101, 102)),
            WekaJson.Request(5, 1, 2, 3),
            WekaJson.Subagent(6, WekaJson.Request(0.5, 100, 101, 200))));

        Trace trace = TraceLoader.Load(file, TraceFormat.Weka, NoCache);

        // At 5 s the sub-agent's first call ties the parent's and goes first (it comes first in the file).
        Assert.Equal([0.0, 5.0, 5.0, 6.5, 7.0], trace.Time);
        Assert.Equal([1L, 2L, 1L, 3L, 2L], trace.Session);
        // One namespace per file: sibling sub-agents share their common prefix ids.
        Assert.Equal([[0, 1], [2, 3], [0, 1, 5], [2, 3, 6], [2, 3, 4]], TraceAssert.Requests(trace));
        Assert.Equal(7, trace.UniqueBlocks);
    }

    [Fact]
    public void Read_IsolateSubagentHashes_GivesEachSubagentItsOwnNamespace()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("trace_0001.json", WekaJson.Session(64, 0,
            WekaJson.Request(0, 1, 2),
            WekaJson.Subagent(1, WekaJson.Request(0, 1, 2)),
            WekaJson.Subagent(2, WekaJson.Request(0, 1, 2))));

        Trace shared = TraceLoader.Load(file, TraceFormat.Weka, NoCache);
        Trace isolated = TraceLoader.Load(file, TraceFormat.Weka, NoCache with { IsolateSubagentHashes = true });

        Assert.Equal([[0, 1], [0, 1], [0, 1]], TraceAssert.Requests(shared));
        Assert.Equal(2, shared.UniqueBlocks);
        Assert.Equal([[0, 1], [2, 3], [4, 5]], TraceAssert.Requests(isolated));
        Assert.Equal(6, isolated.UniqueBlocks);
        Assert.Equal([1L, 2L, 3L], isolated.Session);
    }

    [Fact]
    public void Read_SubagentWhoseRequestsComeBeforeItsTime_IsStillTimedFromItsEntry()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("trace_0001.json", WekaJson.Session(64, 0,
            """{"requests":[{"t":1,"type":"n","in":64,"out":1,"hash_ids":[9]}],"type":"subagent","t":10}""",
            WekaJson.Request(0, 1)));

        Trace trace = TraceLoader.Load(file, TraceFormat.Weka, NoCache);

        Assert.Equal([0.0, 11.0], trace.Time);
        Assert.Equal([[1], [0]], TraceAssert.Requests(trace));
    }

    [Fact]
    public void Read_SharedToolPrefix_MapsLeadingBlocksByPositionAcrossSessions()
    {
        using var dir = new TempDirectory();
        // 9 tool tokens in 4-token blocks: the first two blocks are tool definitions.
        dir.Write("trace_1.json", WekaJson.Session(4, 9,
            WekaJson.Request(0, 7, 8, 9),
            WekaJson.Request(1, 7, 8, 9, 10)));
        dir.Write("trace_2.json", WekaJson.Session(4, 9,
            WekaJson.Request(0, 3, 4, 5, 6)));
        // Three tool blocks, but the first request holds only two: nothing of it is shared.
        dir.Write("trace_3.json", WekaJson.Session(4, 12,
            WekaJson.Request(0, 7, 8)));

        var options = NoCache with { SharedToolPrefix = true, StaggerSeconds = 100 };
        Trace trace = TraceLoader.Load(dir.Path, TraceFormat.Weka, options);
        Trace plain = TraceLoader.Load(dir.Path, TraceFormat.Weka, options with { SharedToolPrefix = false });

        Assert.Equal([[0, 1, 2], [0, 1, 2, 3], [0, 1, 4, 5], [6, 7]], TraceAssert.Requests(trace));
        Assert.Equal(8, trace.UniqueBlocks);
        Assert.Equal([[0, 1, 2], [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], TraceAssert.Requests(plain));
        Assert.Equal(10, plain.UniqueBlocks);
    }

    [Fact]
    public void Read_GzipWithJsonExtension_IsDetectedByMagicBytes()
    {
        using var dir = new TempDirectory();
        string file = dir.File("trace_0001.json");
        File.WriteAllBytes(file, TempDirectory.Gzip(WekaJson.Session(64, 0, WekaJson.Request(0, 5, 6))));

        Trace trace = TraceLoader.Load(file, TraceFormat.Weka, NoCache);

        Assert.Equal([[0, 1]], TraceAssert.Requests(trace));
        Assert.Equal("weka-trace_0001", trace.Name);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(-4)]
    public void Read_TruncatedGzip_NamesTheFile(double keep)
    {
        using var dir = new TempDirectory();
        dir.Write("trace_0001.json", WekaJson.Session(64, 0, WekaJson.Request(0, 1)));
        byte[] gz = TempDirectory.Gzip(WekaJson.Session(64, 0,
            Enumerable.Range(0, 50).Select(i => WekaJson.Request(i, Enumerable.Range(0, i + 1).Select(x => (long)x).ToArray())).ToArray()));
        int length = keep > 0 ? (int)(gz.Length * keep) : gz.Length + (int)keep;
        string bad = dir.File("trace_0002.json.gz");
        File.WriteAllBytes(bad, gz[..length]);

        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(dir.Path, TraceFormat.Weka, NoCache));

        Assert.Equal(bad, ex.FilePath);
        Assert.Contains(bad, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"block_size":64,"requests":[{"t":0,"type":"n","in":1,"out":1,"hash_ids":[1,}]}""")]
    [InlineData("""{"block_size":64,"requests":[{"t":0,"type":"n","in":1,"hash_ids":[1]}]}""")]
    [InlineData("""{"block_size":64,"requests":[{"type":"n","in":1,"out":1,"hash_ids":[1]}]}""")]
    [InlineData("""{"requests":[{"t":0,"type":"n","in":1,"out":1,"hash_ids":[1]}]}""")]
    [InlineData("""{"block_size":64,"requests":[{"t":0,"type":"n","in":1,"out":1,"hash_ids":[1]}]""")]
    public void Read_MalformedSession_NamesTheFile(string json)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("trace_0001.json", json);

        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(file, TraceFormat.Weka, NoCache));

        Assert.Equal(file, ex.FilePath);
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MalformedJson_ReportsLineOfTheFault()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("trace_0001.json", "{\"block_size\":64,\n\"requests\":[\n{\"t\":0,,}]}");

        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(file, TraceFormat.Weka, NoCache));

        Assert.Equal(3, ex.LineNumber);
    }

    [Fact]
    public void Read_DifferentBlockSizes_AreRejected()
    {
        using var dir = new TempDirectory();
        dir.Write("trace_1.json", WekaJson.Session(64, 0, WekaJson.Request(0, 1)));
        string second = dir.Write("trace_2.json", WekaJson.Session(32, 0, WekaJson.Request(0, 1)));

        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(dir.Path, TraceFormat.Weka, NoCache));

        Assert.Equal(second, ex.FilePath);
    }
}
