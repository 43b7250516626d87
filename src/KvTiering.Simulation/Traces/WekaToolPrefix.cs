using System.Runtime.InteropServices;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// The shared tool prefix of a WEKA session (<c>--shared-tools</c>): every session of one agent starts with the same
/// tool definitions, so their blocks are given shared ids that all sessions' first requests name alike.
/// </summary>
internal static class WekaToolPrefix
{
    /// <summary>
    /// Maps the first request's leading <c>tool_tokens / block_size</c> blocks to shared positions (negative ids)
    /// and renumbers the remaining local ids densely, keeping first-seen order.
    /// </summary>
    /// <remarks>
    /// Chained prefix ids make this a mapping by id: the id at position <c>j</c> of the first request names the same
    /// block wherever it recurs. A session whose first request is shorter than its tool definitions shares nothing.
    /// </remarks>
    /// <returns>The number of shared blocks (0: nothing shared, the ids untouched); <paramref name="localUnique"/> becomes the
    /// count of local ids left.</returns>
    public static int Share(WekaSession session, ref int localUnique)
    {
        if (session.ToolTokens <= 0)
        {
            return 0;
        }

        List<int> end = session.End;
        int first = session.Scope.IndexOf(0);
        int shared = session.ToolTokens / session.BlockSize;
        if (first < 0 || shared == 0)
        {
            return 0;
        }

        int start = first == 0 ? 0 : end[first - 1];
        if (end[first] - start < shared)
        {
            return 0;
        }

        Span<int> ids = CollectionsMarshal.AsSpan(session.Ids);
        int[] remap = new int[localUnique];
        Array.Fill(remap, int.MaxValue);
        for (int j = 0; j < shared; j++)
        {
            ref int slot = ref remap[ids[start + j]];
            if (slot == int.MaxValue)
            {
                slot = -(j + 1);
            }
        }

        int next = 0;
        foreach (ref int slot in remap.AsSpan())
        {
            if (slot == int.MaxValue)
            {
                slot = next++;
            }
        }

        foreach (ref int id in ids)
        {
            id = remap[id];
        }

        localUnique = next;
        return shared;
    }
}
