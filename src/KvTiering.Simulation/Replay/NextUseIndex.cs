using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// Belady's oracle for a trace: for every block reference, the index of the next request that references the same
/// block (int.MaxValue when none). Built once per trace in one backward pass and shared by every parallel replay.
/// </summary>
internal sealed class NextUseIndex
{
    private NextUseIndex(int[] next) => Next = next;

    /// <summary>Next-use request index per reference, aligned with <see cref="Trace.BlockIds"/>.</summary>
    public int[] Next { get; }

    public static NextUseIndex Build(Trace trace)
    {
        var next = new int[trace.BlockIds.Length];
        var lastSeen = new int[trace.UniqueBlocks];
        Array.Fill(lastSeen, int.MaxValue);
        int[] ids = trace.BlockIds;
        for (int r = trace.RequestCount - 1; r >= 0; r--)
        {
            int start = trace.RequestStart[r];
            int end = trace.RequestStart[r + 1];
            for (int p = start; p < end; p++)
            {
                next[p] = lastSeen[ids[p]];
            }

            // Only after the whole request: a block repeated inside one request is not its own next use.
            for (int p = start; p < end; p++)
            {
                lastSeen[ids[p]] = r;
            }
        }

        return new NextUseIndex(next);
    }
}
