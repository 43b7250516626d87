using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>Puts and requests against metadata-only stores, in block numbers rather than keys.</summary>
internal static class PolicyTestKit
{
    /// <summary>Puts block <paramref name="i"/> (a first block unless <paramref name="parent"/> is given).</summary>
    public static PutResult Put(TieredKvStore store, int i, int depth = 0, long session = 0, long nextUse = long.MaxValue,
        int parent = -1) =>
        store.Put(Key(i), parent < 0 ? BlockKey.Empty : Key(parent), default, new BlockContext(depth, session, nextUse));

    /// <summary>Offers a request's blocks in order, each the parent of the next, depths 0, 1, …; returns the hits.</summary>
    public static int Request(TieredKvStore store, long session, params int[] blocks)
    {
        int hits = 0;
        for (int d = 0; d < blocks.Length; d++)
        {
            if (Put(store, blocks[d], d, session, parent: d == 0 ? -1 : blocks[d - 1]) == PutResult.AlreadyPresent)
            {
                hits++;
            }
        }

        return hits;
    }

    /// <summary>Which of blocks 0 to <paramref name="count"/> − 1 are resident.</summary>
    public static bool[] Resident(TieredKvStore store, int count)
    {
        var resident = new bool[count];
        for (int i = 0; i < count; i++)
        {
            resident[i] = store.Contains(Key(i));
        }

        return resident;
    }
}
