using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

/// <summary>
/// The harness semantics written the plainest way possible — a dictionary and a linked list — to check the store's
/// replay against: prefix hit at arrival, then every block touched in request order, LRU eviction.
/// </summary>
internal static class ReferenceLru
{
    public static (long HitTokens, long InputTokens, long Resident, long References) Run(Trace trace, int capacity)
    {
        var order = new LinkedList<int>();
        var nodes = new Dictionary<int, LinkedListNode<int>>();
        long hitTokens = 0, inputTokens = 0, resident = 0, references = 0;
        for (int r = 0; r < trace.RequestCount; r++)
        {
            int[] blocks = trace.Blocks(r).ToArray();
            int prefix = 0;
            while (prefix < blocks.Length && nodes.ContainsKey(blocks[prefix]))
            {
                prefix++;
            }

            resident += blocks.Count(nodes.ContainsKey);
            references += blocks.Length;
            inputTokens += trace.InputTokens[r];
            hitTokens += Math.Min((long)prefix * trace.BlockTokens, trace.InputTokens[r]);
            foreach (int block in blocks)
            {
                if (nodes.TryGetValue(block, out var node))
                {
                    order.Remove(node);
                    order.AddFirst(node);
                    continue;
                }

                if (nodes.Count == capacity)
                {
                    nodes.Remove(order.Last!.Value);
                    order.RemoveLast();
                }

                nodes[block] = order.AddFirst(block);
            }
        }

        return (hitTokens, inputTokens, resident, references);
    }
}
