using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

public sealed class BailianTraceReaderTests
{
    private static readonly TraceLoadOptions NoCache = new() { UseCache = false };

    [Fact]
    public void Block_ids_are_chained_along_each_request_and_turns_share_their_first_turns_session()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("bailian.jsonl",
            """
            {"chat_id": 1, "parent_chat_id": -1, "timestamp": 0.5, "input_length": 32, "output_length": 4, "type": "text", "turn": 1, "hash_ids": [10, 11]}
            {"chat_id": 2, "parent_chat_id": 1, "timestamp": 2.0, "input_length": 48, "output_length": 4, "type": "text", "turn": 2, "hash_ids": [10, 11, 12]}
            {"chat_id": 3, "parent_chat_id": -1, "timestamp": 3.0, "input_length": 16, "output_length": 1, "type": "text", "turn": 1, "hash_ids": [11]}
            {"chat_id": 4, "parent_chat_id": 2, "timestamp": 4.0, "input_length": 16, "output_length": 1, "type": "text", "turn": 3, "hash_ids": [10]}

            """);
        Trace trace = TraceLoader.Load(file, TraceFormat.Bailian, NoCache);

        Assert.Equal(16, trace.BlockTokens);
        // Block 11 after 10 is one block; 11 at the start of a request is another (its prefix differs).
        Assert.Equal([[0, 1], [0, 1, 2], [3], [0]], TraceAssert.Requests(trace));
        Assert.Equal(4, trace.UniqueBlocks);
        Assert.Equal([2L, 2L, 4L, 2L], trace.Session); // the root chat_id + 1: chat 0 must not read as "no session"
        Assert.Equal([0.5, 2.0, 3.0, 4.0], trace.Time);
    }

    [Fact]
    public void A_malformed_line_is_reported_with_its_number()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("bad.jsonl",
            "{\"chat_id\": 1, \"parent_chat_id\": -1, \"timestamp\": 0, \"input_length\": 16, \"output_length\": 1, \"hash_ids\": [1]}\n" +
            "{\"chat_id\": 2, \"timestamp\": 1, \"input_length\": 16, \"output_length\": 1, \"hash_ids\": [\"x\"]}\n");
        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(file, TraceFormat.Bailian, NoCache));
        Assert.Equal(2, ex.LineNumber);
    }
}
