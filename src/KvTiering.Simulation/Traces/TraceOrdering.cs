namespace KvTiering.Simulation.Traces;

/// <summary>Puts a trace's requests in time order.</summary>
internal static class TraceOrdering
{
    /// <summary>A copy of <paramref name="trace"/> with its requests stably sorted by time; ids are kept.</summary>
    public static Trace SortByTime(Trace trace)
    {
        int n = trace.RequestCount;
        int[] order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        double[] time = trace.Time;
        Array.Sort(order, (a, b) =>
        {
            int c = time[a].CompareTo(time[b]);
            return c != 0 ? c : a.CompareTo(b);
        });

        double[] sortedTime = new double[n];
        long[] session = new long[n];
        int[] input = new int[n];
        int[] output = new int[n];
        int[] starts = new int[n + 1];
        int[] blocks = new int[trace.BlockIds.Length];
        TurnEnd[]? ends = trace.TurnEnds is null ? null : new TurnEnd[n];
        double[]? response = trace.ResponseSeconds is null ? null : new double[n];
        int at = 0;
        for (int i = 0; i < n; i++)
        {
            int r = order[i];
            sortedTime[i] = time[r];
            session[i] = trace.Session[r];
            input[i] = trace.InputTokens[r];
            output[i] = trace.OutputTokens[r];
            if (ends is not null)
            {
                ends[i] = trace.TurnEnds![r];
            }

            if (response is not null)
            {
                response[i] = trace.ResponseSeconds![r];
            }

            starts[i] = at;
            ReadOnlySpan<int> ids = trace.Blocks(r);
            ids.CopyTo(blocks.AsSpan(at));
            at += ids.Length;
        }

        starts[n] = at;
        return new Trace(trace.Name, trace.BlockTokens, sortedTime, session, input, output, starts, blocks,
            trace.UniqueBlocks)
        {
            TurnEnds = ends,
            ResponseSeconds = response,
        };
    }
}
