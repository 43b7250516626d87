using System.Runtime.InteropServices;

namespace KvTiering.Simulation.Traces;

internal sealed partial class WekaSession
{
    /// <summary>
    /// Maps the first request's leading <c>tool_tokens / block_size</c> blocks to shared positions (negative ids)
    /// and renumbers the remaining local ids densely, keeping first-seen order.
    /// </summary>
    /// <remarks>
    /// Chained prefix ids make this a mapping by id: the id at position <c>j</c> of the first request names the same
    /// block wherever it recurs. A session whose first request is shorter than its tool definitions shares nothing.
    /// </remarks>
    private void ShareToolPrefix()
    {
        if (ToolTokens <= 0)
        {
            return;
        }

        int first = Scope.IndexOf(0);
        int shared = ToolTokens / BlockSize;
        if (first < 0 || shared == 0)
        {
            return;
        }

        int start = first == 0 ? 0 : End[first - 1];
        if (End[first] - start < shared)
        {
            return;
        }

        Span<int> ids = CollectionsMarshal.AsSpan(Ids);
        int[] remap = new int[LocalUnique];
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

        LocalUnique = next;
        SharedBlocks = shared;
    }
}
