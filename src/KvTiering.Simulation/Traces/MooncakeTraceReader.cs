using System.Text.Json;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// Reads a Mooncake FAST'25 trace: JSON lines
/// <c>{"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [...]}</c> of 512-token chained blocks,
/// and Dynamo's agentic extension of it (<c>session_id</c>, <c>request_id</c>, <c>wait_for</c>, <c>delay</c>,
/// <c>tool_wait_ms</c>; see <see cref="MooncakeAgenticFields"/>), whose sessions and turn ends replay as session hints.
/// </summary>
/// <remarks>
/// Trace format from Qin et al., "Mooncake: A KVCache-centric Disaggregated Architecture for LLM Serving"
/// (FAST'25), github.com/kvcache-ai/Mooncake, FAST25-release/traces. Ids become dense ids in first-seen order; a
/// <see cref="Utf8JsonReader"/> walks each line's bytes, so no per-line DOM or string is built.
/// </remarks>
internal static class MooncakeTraceReader
{
    /// <summary>Tokens per Mooncake block.</summary>
    public const int BlockTokens = 512;

    public static Trace Read(string path, string name) => TraceInput.Parse(path, bytes => Parse(path, name, bytes));

    internal static Trace Parse(string path, string name, ReadOnlySpan<byte> bytes)
    {
        var ids = new LocalIdMap();
        int unique = 0;
        var time = new List<double>();
        var input = new List<int>();
        var output = new List<int>();
        var starts = new List<int> { 0 };
        var blocks = new List<int>();
        var startMs = new List<double>();
        var agentic = new MooncakeAgenticFields();
        long line = 0;
        bool sorted = true;
        while (TraceLines.TryNext(ref bytes, ref line, out ReadOnlySpan<byte> text))
        {
            double ms = ParseLine(path, line, text, ids, ref unique, blocks, agentic, out int inTokens, out int outTokens);
            agentic.EndRequest(line);
            startMs.Add(ms);
            double seconds = ms / 1000.0;
            sorted &= time.Count == 0 || seconds >= time[^1];
            time.Add(seconds);
            input.Add(inTokens);
            output.Add(outTokens);
            starts.Add(blocks.Count);
        }

        (TurnEnd[]? ends, double[]? response) = agentic.TurnEnds(path, startMs);
        var trace = new Trace(name, BlockTokens, [.. time], agentic.HasSessions ? agentic.Sessions() : new long[time.Count],
            [.. input], [.. output], [.. starts], [.. blocks], unique)
        {
            TurnEnds = ends,
            ResponseSeconds = response,
        };
        return sorted ? trace : TraceOrdering.SortByTime(trace);
    }

    private static double ParseLine(string path, long line, ReadOnlySpan<byte> text, LocalIdMap ids, ref int unique,
        List<int> blocks, MooncakeAgenticFields agentic, out int inTokens, out int outTokens)
    {
        double ms = double.NaN;
        inTokens = -1;
        outTokens = -1;
        bool sawIds = false;
        try
        {
            var reader = new Utf8JsonReader(text);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                TraceThrow.Format(path, line, "expected a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("timestamp"u8))
                {
                    ms = JsonFields.ReadDouble(ref reader, path, line, "timestamp");
                }
                else if (reader.ValueTextEquals("input_length"u8))
                {
                    inTokens = JsonFields.ReadCount(ref reader, path, line, "input_length");
                }
                else if (reader.ValueTextEquals("output_length"u8))
                {
                    outTokens = JsonFields.ReadCount(ref reader, path, line, "output_length");
                }
                else if (reader.ValueTextEquals("hash_ids"u8))
                {
                    sawIds = true;
                    ReadIds(ref reader, path, line, ids, ref unique, blocks);
                }
                else if (!agentic.TryRead(ref reader, path, line))
                {
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                TraceThrow.Format(path, line, "unexpected content after the request object.");
            }
        }
        catch (JsonException ex)
        {
            TraceThrow.Format(path, line, ex.Message, ex);
        }

        if (double.IsNaN(ms) || inTokens < 0 || outTokens < 0 || !sawIds)
        {
            TraceThrow.Format(path, line,
                "a request needs \"timestamp\", \"input_length\", \"output_length\" and \"hash_ids\".");
        }

        return ms;
    }

    private static void ReadIds(ref Utf8JsonReader reader, string path, long line, LocalIdMap ids, ref int unique,
        List<int> blocks)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            TraceThrow.Format(path, line, "\"hash_ids\" must be an array of integers.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetInt64(out long id))
            {
                TraceThrow.Format(path, line, "\"hash_ids\" must hold integers.");
            }

            blocks.Add(ids.GetOrAdd(id, ref unique));
        }

        if (reader.TokenType != JsonTokenType.EndArray)
        {
            TraceThrow.Format(path, line, "\"hash_ids\" must hold integers.");
        }
    }
}
