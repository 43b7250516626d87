using System.IO.Compression;
using System.Text;
using KvTiering.Simulation.Traces;

namespace KvTiering.Fuzz;

/// <summary>
/// The trace readers, each through the same entry the harness's loader uses (files, so gzip detection is covered too).
/// Contract: a trace, or a <see cref="TraceFormatException"/> that names the file; nothing else.
/// </summary>
internal static class TraceHarnesses
{
    private const string CsvOptions = "obj-id-col=2,time-col=1,has-header=true";

    /// <summary>A Mooncake (or Dynamo agentic) JSON-lines trace.</summary>
    public static void Mooncake(byte[] input) => Expect(() => MooncakeTraceReader.Read(File(input, "trace.jsonl"), "fuzz"));

    /// <summary>One WEKA kv-cache-tester session file (JSON, or gzip'd JSON), read and merged as a one-session trace.</summary>
    public static void Weka(byte[] input) =>
        Expect(() => WekaTraceReader.Read(File(input, "trace_0001.json"), "fuzz", new TraceLoadOptions { UseCache = false }));

    /// <summary>A Bailian (Alibaba Qwen) JSON-lines trace.</summary>
    public static void Bailian(byte[] input) => Expect(() => BailianTraceReader.Read(File(input, "bailian.jsonl"), "fuzz"));

    /// <summary>
    /// libCacheSim's formats; the first byte picks one: txt, csv with fixed column options, oracleGeneral, or csv whose
    /// first line is the option string (<see cref="CsvTraceOptions.Parse"/>, the CLI's <c>--csv</c>, which may throw
    /// <see cref="ArgumentException"/> naming the option).
    /// </summary>
    public static void LibCacheSim(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        byte[] body = input[1..];
        switch (input[0] % 4)
        {
            case 0:
                Expect(() => LibCacheSimTraceReader.Read(File(body, "t.txt"), "fuzz", TraceFormat.Txt, null));
                break;
            case 1:
                Expect(() => LibCacheSimTraceReader.Read(File(body, "t.csv"), "fuzz", TraceFormat.Csv, CsvTraceOptions.Parse(CsvOptions)));
                break;
            case 2:
                Expect(() => LibCacheSimTraceReader.Read(File(body, "t.bin"), "fuzz", TraceFormat.OracleGeneral, null));
                break;
            default:
                int newline = Array.IndexOf(body, (byte)'\n');
                string text = Encoding.UTF8.GetString(newline < 0 ? body : body[..newline]);
                CsvTraceOptions options;
                try
                {
                    options = CsvTraceOptions.Parse(text);
                }
                catch (ArgumentException ex) when (ex.Message.Length > 0)
                {
                    return;
                }

                Expect(() => LibCacheSimTraceReader.Read(File(newline < 0 ? [] : body[(newline + 1)..], "t.csv"), "fuzz", TraceFormat.Csv, options));
                break;
        }
    }

    private static string File(byte[] input, string name)
    {
        string path = Path.Combine(Harnesses.Work, name);
        System.IO.File.WriteAllBytes(path, input);
        return path;
    }

    private static void Expect(Func<Trace> read)
    {
        try
        {
            Check(read());
        }
        catch (TraceFormatException ex) when (ex.Message.Length > 0)
        {
        }
    }

    /// <summary>What every replay relies on: offsets that frame the block ids, ids below the distinct count, time in order.</summary>
    private static void Check(Trace trace)
    {
        if (trace.RequestStart.Length != trace.RequestCount + 1 || trace.RequestStart[0] != 0
            || trace.RequestStart[^1] != trace.BlockIds.Length)
        {
            throw new InvalidOperationException($"request offsets do not frame the {trace.BlockIds.Length} block ids");
        }

        for (int r = 0; r < trace.RequestCount; r++)
        {
            if (trace.RequestStart[r] > trace.RequestStart[r + 1] || (r > 0 && !(trace.Time[r] >= trace.Time[r - 1])))
            {
                throw new InvalidOperationException($"request {r}: offsets or time out of order");
            }
        }

        foreach (int id in trace.BlockIds)
        {
            if ((uint)id >= (uint)trace.UniqueBlocks)
            {
                throw new InvalidOperationException($"block id {id} outside 0..{trace.UniqueBlocks - 1}");
            }
        }
    }

    public static IReadOnlyDictionary<string, byte[]> MooncakeSeeds() => new Dictionary<string, byte[]>
    {
        ["plain"] = Encoding.UTF8.GetBytes(
            "{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 8, \"hash_ids\": [1, 2]}\n" +
            "{\"timestamp\": 5, \"input_length\": 1536, \"output_length\": 8, \"hash_ids\": [1, 2, 3]}\n"),
        ["agentic"] = Encoding.UTF8.GetBytes(
            "{\"session_id\": \"a\", \"request_id\": \"r1\", \"timestamp\": 0, \"input_length\": 512, \"output_length\": 4, \"hash_ids\": [1]}\n" +
            "{\"session_id\": \"a\", \"request_id\": \"r2\", \"wait_for\": [\"r1\"], \"delay\": 10, \"tool_wait_ms\": 200, \"timestamp\": 900, \"input_length\": 1024, \"output_length\": 4, \"hash_ids\": [1, 2]}\n"),
    };

    // The shape of WEKA's published sessions (tests/KvTiering.Simulation.Tests/Traces/WekaJson.cs): requests, a
    // sub-agent nested in its parent's list, stop reasons and API times.
    private const string WekaSession =
        """{"id":"trace_x","models":["m"],"block_size":64,"hash_id_scope":"local","tool_tokens":128,"system_tokens":100,"requests":[""" +
        """{"t":0,"type":"n","model":"m","in":192,"out":7,"hash_ids":[1,2,3],"input_types":["text"],"stop":"tool_use","api_time":1.5,"think_time":0.0},""" +
        """{"t":4.5,"type":"subagent","agent_id":"agent_001","subagent_type":"Explore","requests":[{"t":5,"type":"n","model":"m","in":128,"out":7,"hash_ids":[1,9],"stop":"end_turn","api_time":0.5}],"models":["m"],"tool_tokens":64,"system_tokens":10},""" +
        """{"t":9,"type":"n","model":"m","in":256,"out":7,"hash_ids":[1,2,3,4],"stop":"end_turn"}""" +
        """],"totals":{"subagent_count":1} }""";

    public static IReadOnlyDictionary<string, byte[]> WekaSeeds()
    {
        byte[] json = Encoding.UTF8.GetBytes(WekaSession);
        using var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest))
        {
            zip.Write(json);
        }

        return new Dictionary<string, byte[]> { ["session"] = json, ["session-gz"] = gz.ToArray() };
    }

    public static IReadOnlyDictionary<string, byte[]> BailianSeeds() => new Dictionary<string, byte[]>
    {
        ["chats"] = Encoding.UTF8.GetBytes(
            """
            {"chat_id": 1, "parent_chat_id": -1, "timestamp": 0.5, "input_length": 32, "output_length": 4, "type": "text", "turn": 1, "hash_ids": [10, 11]}
            {"chat_id": 2, "parent_chat_id": 1, "timestamp": 2.0, "input_length": 48, "output_length": 4, "type": "text", "turn": 2, "hash_ids": [10, 11, 12]}
            {"chat_id": 3, "parent_chat_id": -1, "timestamp": 3.0, "input_length": 16, "output_length": 1, "type": "text", "turn": 1, "hash_ids": [11]}

            """),
    };

    public static IReadOnlyDictionary<string, byte[]> LibCacheSimSeeds()
    {
        var oracle = new byte[3 * LibCacheSimTraceReader.OracleGeneralRecord];
        for (int i = 0; i < 3; i++)
        {
            BitConverter.TryWriteBytes(oracle.AsSpan(i * 24), (uint)i);
            BitConverter.TryWriteBytes(oracle.AsSpan((i * 24) + 4), (ulong)(i % 2) + 7);
            BitConverter.TryWriteBytes(oracle.AsSpan((i * 24) + 12), 4096u);
            BitConverter.TryWriteBytes(oracle.AsSpan((i * 24) + 16), -1L);
        }

        return new Dictionary<string, byte[]>
        {
            ["txt"] = [0, .. "1\n2\n1\nobject-a\n3\n"u8],
            ["csv"] = [1, .. "time,id,size\n1,10,4096\n2,11,4096\n3,10,4096\n"u8],
            ["oracle"] = [2, .. oracle],
            ["csv-options"] = [3, .. "obj-id-col=1,time-col=2,delimiter=;\n10;1\n11;2.5\n10;3\n"u8],
        };
    }
}
