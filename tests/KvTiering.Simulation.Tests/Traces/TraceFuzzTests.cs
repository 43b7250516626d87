using System.Text;
using KvTiering.Fuzzing;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

/// <summary>
/// Mutation fuzzing of the Mooncake trace parser (JSON lines from outside the repository). Oracle: it returns a
/// trace or throws <see cref="TraceFormatException"/> naming the problem; nothing else.
/// </summary>
public sealed class TraceFuzzTests
{
    [Fact]
    public void MooncakeParserThrowsOnlyTraceFormatErrors()
    {
        byte[][] seeds =
        [
            Encoding.UTF8.GetBytes("""
                {"timestamp": 0, "input_length": 1200, "output_length": 50, "hash_ids": [0, 1, 2]}
                {"timestamp": 27, "input_length": 1900, "output_length": 3, "hash_ids": [0, 1, 3, 4]}

                """),
            Encoding.UTF8.GetBytes("{\"hash_ids\":[7],\"timestamp\":1.5e3,\"output_length\":1,\"input_length\":512}\r\n"),
            Encoding.UTF8.GetBytes("""{"timestamp": 3, "input_length": 10, "output_length": 0, "hash_ids": []}"""),
        ];
        MutationFuzzer.Run("mooncake-trace", seeds, input =>
        {
            try
            {
                Trace trace = MooncakeTraceReader.Parse("fuzz.jsonl", "fuzz", input);
                Assert.NotNull(trace);
            }
            catch (TraceFormatException ex)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            }
        });
    }
}
