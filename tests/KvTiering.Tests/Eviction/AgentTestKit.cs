using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>Sessions as the agent policy's tests write them: each its own chain of blocks, ids session × 1000 + i.</summary>
internal static class AgentTestKit
{
    /// <summary>Block <paramref name="i"/> of <paramref name="session"/>'s chain.</summary>
    public static BlockKey SessionBlock(int session, int i) => Key((session * 1000) + i);

    /// <summary>
    /// <paramref name="session"/>'s request of blocks 0..length−1 of its chain, each put with its depth and session
    /// (a block already resident is touched: a hit).
    /// </summary>
    public static void SessionRequest(TieredKvStore store, int session, int length)
    {
        BlockKey parent = BlockKey.Empty;
        for (int i = 0; i < length; i++)
        {
            BlockKey key = SessionBlock(session, i);
            store.Put(key, parent, default, new BlockContext(i, session));
            parent = key;
        }
    }
}
