using KvTiering.Simulation.Traces;

namespace AgentLoad;

/// <summary>
/// A WEKA Claude Code session, scaled to a small model: its first requests, with token counts scaled so the largest
/// prompt fills the context budget (the turn-to-turn growth keeps its proportions) and gaps scaled in time.
/// </summary>
internal sealed record SessionPlan(string Name, double StartSeconds, IReadOnlyList<PlannedRequest> Requests)
{
    public static SessionPlan FromTrace(string file, Trace trace, LoadOptions o, int index)
    {
        int count = Math.Min(o.RequestsPerSession, trace.RequestCount);
        int budget = o.ContextSize - o.MaxTokens - 512; // room for the template and its tool block (~400 tokens)
        int largest = 1;
        for (int i = 0; i < count; i++)
        {
            largest = Math.Max(largest, trace.InputTokens[i]);
        }

        double scale = (double)budget / largest;
        var requests = new List<PlannedRequest>(count);
        for (int i = 0; i < count; i++)
        {
            requests.Add(new PlannedRequest((trace.Time[i] - trace.Time[0]) * o.TimeScale,
                Math.Max(64, (int)(trace.InputTokens[i] * scale)),
                trace.TurnEnds is { } ends && ends[i] == TurnEnd.ToolCall));
        }

        // Sessions start together, one second apart, rather than at their recorded wall-clock times.
        return new SessionPlan(Path.GetFileName(file).Split('.')[0], index * 1.0, requests);
    }

    /// <summary>The first <paramref name="sessions"/> session files of the WEKA directory, in name order.</summary>
    public static List<SessionPlan> Load(LoadOptions o)
    {
        string[] files = Directory.Exists(o.Trace)
            ? [.. Directory.GetFiles(o.Trace, "*.json.gz").Order(StringComparer.Ordinal).Take(o.Sessions)]
            : [o.Trace];
        var traces = files.Select(f => (File: f, Trace: TraceLoader.Load(f, TraceFormat.Weka, new TraceLoadOptions { UseCache = false })))
            .ToList();
        return [.. traces.Select((t, i) => FromTrace(t.File, t.Trace, o, i))];
    }
}
