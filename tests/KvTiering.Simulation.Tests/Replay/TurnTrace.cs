using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

/// <summary>Small hand-written traces with turn ends and response times, for the hint and close schedule tests.</summary>
internal static class TurnTrace
{
    /// <summary>One request per row: its time, session, block ids (16 tokens each), how it ended and its response seconds.</summary>
    public static Trace Build(string name, params (double Time, long Session, int[] Blocks, TurnEnd End, double Response)[] requests)
    {
        var starts = new List<int> { 0 };
        var ids = new List<int>();
        foreach (var r in requests)
        {
            ids.AddRange(r.Blocks);
            starts.Add(ids.Count);
        }

        return new Trace(name, 16, [.. requests.Select(r => r.Time)], [.. requests.Select(r => r.Session)],
            [.. requests.Select(r => r.Blocks.Length * 16)], [.. requests.Select(_ => 1)], [.. starts], [.. ids], ids.Max() + 1)
        {
            TurnEnds = [.. requests.Select(r => r.End)],
            ResponseSeconds = [.. requests.Select(r => r.Response)],
        };
    }
}
