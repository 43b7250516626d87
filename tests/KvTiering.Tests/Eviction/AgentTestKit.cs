using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>Sessions as the agent policy's tests write them: each its own chain of blocks, ids session × 1000 + i.</summary>
internal static class AgentTestKit
{
    /// <summary>A metadata-only store of one tier of <paramref name="capacity"/> blocks on <paramref name="time"/>, under the agent policy by default.</summary>
    public static TieredKvStore AgentStore(TimeProvider time, int capacity, EvictionPolicy? policy = null)
    {
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = time };
        options.Tiers.Add(new TierOptions(Profile("hbm"), capacity) { Policy = policy ?? EvictionPolicies.Agent });
        return new TieredKvStore(options);
    }

    /// <summary>Block <paramref name="i"/> of <paramref name="session"/>'s chain.</summary>
    public static BlockKey SessionBlock(int session, int i) => Key((session * 1000) + i);

    /// <summary>
    /// <paramref name="session"/>'s request of blocks 0..length−1 of its chain, each put with its depth and session
    /// (a block already resident is touched: a hit); its first <paramref name="sharedHead"/> blocks are a head every
    /// session shares (ids 900,000 + i).
    /// </summary>
    public static void SessionRequest(TieredKvStore store, int session, int length, int sharedHead = 0)
    {
        BlockKey parent = BlockKey.Empty;
        for (int i = 0; i < length; i++)
        {
            BlockKey key = i < sharedHead ? Key(900_000 + i) : SessionBlock(session, i);
            store.Put(key, parent, default, new BlockContext(i, session));
            parent = key;
        }
    }

    /// <summary>
    /// Sessions 1, 2 and 3 take four turns each, a 10-block request every 2 s in turn, so each has a rhythm the policy
    /// has learned (the closed-session, dead-victim and learned-ranking tests start from here).
    /// </summary>
    public static void ThreeSessionsTakeTurns(TieredKvStore store, FakeTimeProvider time)
    {
        for (int round = 0; round < 4; round++)
        {
            for (int s = 1; s <= 3; s++)
            {
                SessionRequest(store, s, 10);
                time.Advance(TimeSpan.FromSeconds(2));
            }
        }
    }
}
