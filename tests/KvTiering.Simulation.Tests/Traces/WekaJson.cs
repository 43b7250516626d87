using System.Globalization;

namespace KvTiering.Simulation.Tests.Traces;

/// <summary>Builds small WEKA session files in the published shape.</summary>
internal static class WekaJson
{
    public static string Session(int blockSize, int toolTokens, params string[] requests) =>
        $$"""{"id":"trace_x","models":["m"],"block_size":{{blockSize}},"hash_id_scope":"local","tool_tokens":{{toolTokens}},"system_tokens":100,"requests":[{{string.Join(",", requests)}}],"totals":{"subagent_count":0} }""";

    public static string Request(double t, params long[] ids) => RequestWithTokens(t, ids.Length * 64, 7, ids);

    public static string RequestWithTokens(double t, int input, int output, long[] ids) =>
        string.Create(CultureInfo.InvariantCulture,
            $$"""{"t":{{t}},"type":"n","model":"m","in":{{input}},"out":{{output}},"hash_ids":[{{string.Join(",", ids)}}],"input_types":["text"],"stop":"end_turn","api_time":1.5,"think_time":0.0}""");

    /// <summary>A request whose response ended with <paramref name="stop"/> after <paramref name="apiTime"/> seconds (null: not recorded).</summary>
    public static string Ending(double t, string stop, double? apiTime, params long[] ids)
    {
        string api = apiTime is { } a ? string.Create(CultureInfo.InvariantCulture, $$""","api_time":{{a}}""") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $$"""{"t":{{t}},"type":"n","model":"m","in":{{ids.Length * 64}},"out":7,"hash_ids":[{{string.Join(",", ids)}}],"stop":"{{stop}}"{{api}}}""");
    }

    public static string Subagent(double t, params string[] requests) =>
        string.Create(CultureInfo.InvariantCulture,
            $$"""{"t":{{t}},"type":"subagent","agent_id":"agent_001","subagent_type":"Explore","requests":[{{string.Join(",", requests)}}],"models":["m"],"tool_tokens":64,"system_tokens":10}""");
}
