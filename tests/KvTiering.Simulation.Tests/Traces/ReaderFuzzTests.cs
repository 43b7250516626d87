using System.Text;
using KvTiering.Fuzzing;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

/// <summary>
/// Mutation fuzzing of the WEKA, Bailian and libCacheSim readers (the AFL program's <c>weka</c>, <c>bailian</c> and
/// <c>libcachesim</c> targets, run deterministically in every <c>dotnet test</c>). Oracle: a result or a
/// <see cref="TraceFormatException"/> with a message; nothing else, and a trace whose offsets frame its block ids.
/// </summary>
public sealed class ReaderFuzzTests
{
    private static readonly byte[] Weka = Encoding.UTF8.GetBytes(WekaJson.Session(64, 128,
        WekaJson.Ending(0, "tool_use", 1.5, 1, 2, 3),
        WekaJson.Subagent(4.5, WekaJson.Request(5, 1, 9)),
        WekaJson.Request(9, 1, 2, 3, 4)));

    [Fact]
    public void WekaSessionParserThrowsOnlyTraceFormatErrors() =>
        MutationFuzzer.Run("weka-session", [Weka], input => Expect(() =>
        {
            WekaSession session = WekaSession.Parse("fuzz.json", input, isolateScopes: true, sharedToolPrefix: true);
            Assert.True(session.RequestCount >= 0);
        }));

    [Fact]
    public void BailianParserThrowsOnlyTraceFormatErrors() =>
        MutationFuzzer.Run("bailian-trace", [Encoding.UTF8.GetBytes("""
            {"chat_id": 1, "parent_chat_id": -1, "timestamp": 0.5, "input_length": 32, "output_length": 4, "type": "text", "turn": 1, "hash_ids": [10, 11]}
            {"chat_id": 2, "parent_chat_id": 1, "timestamp": 2.0, "input_length": 48, "output_length": 4, "type": "text", "turn": 2, "hash_ids": [10, 11, 12]}

            """)], input => Expect(() => Check(BailianTraceReader.Parse("fuzz.jsonl", "fuzz", input))));

    [Fact]
    public void LibCacheSimParsersThrowOnlyTraceFormatErrors()
    {
        var oracle = new byte[2 * LibCacheSimTraceReader.OracleGeneralRecord];
        BitConverter.TryWriteBytes(oracle.AsSpan(4), 7UL);
        BitConverter.TryWriteBytes(oracle.AsSpan(24), 1u);
        BitConverter.TryWriteBytes(oracle.AsSpan(28), 8UL);
        var csv = CsvTraceOptions.Parse("obj-id-col=2,time-col=1,has-header=true");
        MutationFuzzer.Run("libcachesim", ["1\n2\nobject-a\n1\n"u8.ToArray(), "time,id\n1,10\n2,11\n3,10\n"u8.ToArray(), oracle], input =>
        {
            Expect(() => Check(LibCacheSimTraceReader.ParseText("fuzz.txt", "fuzz", input, null)));
            Expect(() => Check(LibCacheSimTraceReader.ParseText("fuzz.csv", "fuzz", input, csv)));
            Expect(() => Check(LibCacheSimTraceReader.ParseOracleGeneral("fuzz.bin", "fuzz", input)));
        });
    }

    private static void Expect(Action parse)
    {
        try
        {
            parse();
        }
        catch (TraceFormatException ex)
        {
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        }
    }

    private static void Check(Trace trace)
    {
        Assert.Equal(trace.RequestCount + 1, trace.RequestStart.Length);
        Assert.Equal(trace.BlockIds.Length, trace.RequestStart[^1]);
        Assert.All(trace.BlockIds, id => Assert.InRange(id, 0, trace.UniqueBlocks - 1));
    }
}
