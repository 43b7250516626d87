using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// libCacheSim's semantics (<c>kvtier simulate --semantics reference</c>): every block reference is looked up and
/// inserted on its own, with no prefix chain, as a cache simulator replays an object trace. The replay's
/// <see cref="ReplayResult.BlockHitRate"/> is then 1 − the miss ratio libCacheSim reports for the same trace.
/// </summary>
/// <remarks>
/// Done by rewriting the trace, not the replay loop: each reference becomes a one-block request (at its request's time
/// and session), so the store, the policies and the Belady oracle run unchanged. Session hints do not apply.
/// </remarks>
public static class ReferenceSemantics
{
    /// <summary>The trace with every block reference as a request of its own.</summary>
    public static Trace Explode(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        int n = trace.BlockIds.Length;
        var time = new double[n];
        var session = new long[n];
        var input = new int[n];
        var starts = new int[n + 1];
        for (int r = 0; r < trace.RequestCount; r++)
        {
            for (int i = trace.RequestStart[r]; i < trace.RequestStart[r + 1]; i++)
            {
                time[i] = trace.Time[r];
                session[i] = trace.Session[r];
                input[i] = trace.BlockTokens;
                starts[i] = i;
            }
        }

        starts[n] = n;
        return new Trace(trace.Name, trace.BlockTokens, time, session, input, new int[n], starts, (int[])trace.BlockIds.Clone(), trace.UniqueBlocks);
    }
}
