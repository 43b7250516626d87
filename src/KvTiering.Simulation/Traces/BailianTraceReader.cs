using System.Text.Json;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// Reads Alibaba Bailian KV-cache traces: JSON lines <c>{"chat_id", "parent_chat_id", "timestamp", "input_length",
/// "output_length", "turn", "type", "hash_ids"}</c> of 16-token blocks. A block id there names a block's content, not
/// its prefix, so the reader chains them: block i of a request is the pair (block i − 1, hash_ids[i]), which gives the
/// prefix semantics of the other readers. Requests of one conversation (followed along <c>parent_chat_id</c> to its
/// first turn) share a session.
/// </summary>
/// <remarks>
/// Trace: Alibaba Cloud Bailian (Qwen) KV-cache traces, github.com/alibaba-edu/qwen-bailian-usagetraces-anon; the
/// timestamp is read as seconds. Fields other than the ones named here are skipped.
/// </remarks>
internal static class BailianTraceReader
{
    /// <summary>Tokens per Bailian block.</summary>
    public const int BlockTokens = 16;

    public static Trace Read(string path, string name) => TraceInput.Parse(path, bytes => Parse(path, name, bytes));

    internal static Trace Parse(string path, string name, ReadOnlySpan<byte> bytes)
    {
        var chained = new Dictionary<(int Parent, long Id), int>();
        var rootOf = new Dictionary<long, long>();
        var time = new List<double>();
        var session = new List<long>();
        var input = new List<int>();
        var output = new List<int>();
        var starts = new List<int> { 0 };
        var blocks = new List<int>();
        var raw = new List<long>();
        long line = 0;
        bool sorted = true;
        while (TraceLines.TryNext(ref bytes, ref line, out ReadOnlySpan<byte> text))
        {
            raw.Clear();
            Request r = ParseLine(path, line, text, raw);
            long root = r.Parent >= 0 && rootOf.TryGetValue(r.Parent, out long parentRoot) ? parentRoot : r.Chat;
            if (r.Chat >= 0)
            {
                rootOf[r.Chat] = root;
            }

            int parent = -1;
            foreach (long id in raw)
            {
                if (!chained.TryGetValue((parent, id), out int dense))
                {
                    dense = chained.Count;
                    chained.Add((parent, id), dense);
                }

                blocks.Add(dense);
                parent = dense;
            }

            sorted &= time.Count == 0 || r.Seconds >= time[^1];
            time.Add(r.Seconds);
            session.Add(root >= 0 ? root + 1 : 0); // 0 is "no session": a line without chat_id has none
            input.Add(r.Input);
            output.Add(r.Output);
            starts.Add(blocks.Count);
        }

        var trace = new Trace(name, BlockTokens, [.. time], [.. session], [.. input], [.. output], [.. starts], [.. blocks], chained.Count);
        return sorted ? trace : TraceOrdering.SortByTime(trace);
    }

    private static Request ParseLine(string path, long line, ReadOnlySpan<byte> text, List<long> ids)
    {
        var r = new Request { Seconds = double.NaN, Input = -1, Output = -1, Chat = -1, Parent = -1 };
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
                    r.Seconds = JsonFields.ReadDouble(ref reader, path, line, "timestamp");
                }
                else if (reader.ValueTextEquals("input_length"u8))
                {
                    r.Input = JsonFields.ReadCount(ref reader, path, line, "input_length");
                }
                else if (reader.ValueTextEquals("output_length"u8))
                {
                    r.Output = JsonFields.ReadCount(ref reader, path, line, "output_length");
                }
                else if (reader.ValueTextEquals("chat_id"u8))
                {
                    r.Chat = ReadId(ref reader, path, line, "chat_id");
                }
                else if (reader.ValueTextEquals("parent_chat_id"u8))
                {
                    r.Parent = ReadId(ref reader, path, line, "parent_chat_id");
                }
                else if (reader.ValueTextEquals("hash_ids"u8))
                {
                    sawIds = true;
                    if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                    {
                        TraceThrow.Format(path, line, "\"hash_ids\" must be an array of integers.");
                    }

                    while (reader.Read() && reader.TokenType == JsonTokenType.Number)
                    {
                        ids.Add(reader.TryGetInt64(out long id) ? id : throw new JsonException("\"hash_ids\" must hold integers."));
                    }

                    if (reader.TokenType != JsonTokenType.EndArray)
                    {
                        TraceThrow.Format(path, line, "\"hash_ids\" must hold integers.");
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException ex)
        {
            TraceThrow.Format(path, line, ex.Message, ex);
        }

        if (double.IsNaN(r.Seconds) || r.Input < 0 || r.Output < 0 || !sawIds)
        {
            TraceThrow.Format(path, line, "a request needs \"timestamp\", \"input_length\", \"output_length\" and \"hash_ids\".");
        }

        return r;
    }

    private static long ReadId(ref Utf8JsonReader reader, string path, long line, string field)
    {
        long id = 0;
        if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out id))
        {
            TraceThrow.Format(path, line, $"\"{field}\" must be an integer.");
        }

        return id;
    }

    private struct Request
    {
        public double Seconds;
        public int Input;
        public int Output;
        public long Chat;
        public long Parent;
    }
}
