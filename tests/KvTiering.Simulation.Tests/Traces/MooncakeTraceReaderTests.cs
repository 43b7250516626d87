using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

public sealed class MooncakeTraceReaderTests
{
    private static readonly TraceLoadOptions NoCache = new() { UseCache = false };

    [Fact]
    public void Read_RemapsIdsDenselyInFirstSeenOrder_AndConvertsMilliseconds()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("conv_trace.jsonl",
            """
            {"timestamp": 0, "input_length": 1500, "output_length": 10, "hash_ids": [10, 20, 30]}
            {"timestamp": 1500, "input_length": 1600, "output_length": 20, "hash_ids": [10, 20, 40]}
            {"timestamp": 3000, "input_length": 100, "output_length": 5, "hash_ids": [7000000000]}

            """);

        Trace trace = TraceLoader.Load(file, TraceFormat.Mooncake, NoCache);

        Assert.Equal("mooncake-conv", trace.Name);
        Assert.Equal(512, trace.BlockTokens);
        Assert.Equal([0.0, 1.5, 3.0], trace.Time);
        Assert.Equal([0L, 0L, 0L], trace.Session);
        Assert.Equal([1500, 1600, 100], trace.InputTokens);
        Assert.Equal([10, 20, 5], trace.OutputTokens);
        Assert.Equal([[0, 1, 2], [0, 1, 3], [4]], TraceAssert.Requests(trace));
        Assert.Equal(5, trace.UniqueBlocks);
        Assert.Equal(7, trace.References);
    }

    [Fact]
    public void Read_SkipsBlankLinesAndUnknownFields_AndAcceptsCrLfAndEmptyIds()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.jsonl",
            "\r\n{\"hash_ids\": [5], \"extra\": {\"a\": [1, 2]}, \"timestamp\": 2, \"input_length\": 1, \"output_length\": 1}\r\n" +
            "   \n{\"timestamp\": 4, \"input_length\": 0, \"output_length\": 0, \"hash_ids\": []}");

        Trace trace = TraceLoader.Load(file, TraceFormat.Mooncake, NoCache);

        Assert.Equal([0.002, 0.004], trace.Time);
        Assert.Equal([[0], []], TraceAssert.Requests(trace));
    }

    [Fact]
    public void Read_GzipCompressedFile_IsDetectedByMagicBytes()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteGzip("plain-name.jsonl",
            "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, \"hash_ids\": [3, 4]}\n");

        Trace trace = TraceLoader.Load(file, TraceFormat.Mooncake, NoCache);

        Assert.Equal([[0, 1]], TraceAssert.Requests(trace));
    }

    [Fact]
    public void Read_OutOfOrderTimestamps_AreSortedStably()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.jsonl",
            """
            {"timestamp": 2000, "input_length": 1, "output_length": 1, "hash_ids": [1]}
            {"timestamp": 1000, "input_length": 2, "output_length": 1, "hash_ids": [2]}
            {"timestamp": 2000, "input_length": 3, "output_length": 1, "hash_ids": [3]}
            """);

        Trace trace = TraceLoader.Load(file, TraceFormat.Mooncake, NoCache);

        Assert.Equal([1.0, 2.0, 2.0], trace.Time);
        Assert.Equal([2, 1, 3], trace.InputTokens);
        Assert.Equal([[1], [0], [2]], TraceAssert.Requests(trace));
    }

    [Theory]
    [InlineData("{\"timestamp\": 3, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1, 2")]
    [InlineData("{\"timestamp\": 3, \"input_length\": 1, \"output_length\": 1}")]
    [InlineData("{\"timestamp\": \"x\", \"input_length\": 1, \"output_length\": 1, \"hash_ids\": []}")]
    [InlineData("{\"timestamp\": 3, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1.5]}")]
    [InlineData("{\"timestamp\": 3, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": []} {}")]
    [InlineData("[1, 2]")]
    public void Read_MalformedLine_NamesFileAndOneBasedLine(string badLine)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("bad.jsonl",
            "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n\n" + badLine + "\n");

        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(file, TraceFormat.Mooncake, NoCache));

        Assert.Equal(3, ex.LineNumber);
        Assert.Equal(file, ex.FilePath);
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", ex.Message, StringComparison.Ordinal);
    }
}
