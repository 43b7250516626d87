using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Events;
using KvTiering.Store;
using KvTiering.Tiers;

namespace KvTiering.KvEvents.Tests;

public sealed class ClusterPrefixIndexTests
{
    private static VllmEventBatch Stored(string? medium, params ulong[] hashes) =>
        new(0, [new VllmKvEvent(KvEventKind.Stored, hashes, null, [], 16, null, medium)]);

    private static VllmEventBatch Removed(string? medium, params ulong[] hashes) =>
        new(0, [new VllmKvEvent(KvEventKind.Removed, hashes, Medium: medium)]);

    private static PrefixOverlap[] Match(ClusterPrefixIndex index, params ulong[] prompt)
    {
        var result = new PrefixOverlap[16];
        return result[..index.Match(prompt, result)];
    }

    [Fact]
    public void Match_CountsLeadingBlocksPerInstance_SplitByFastestTier_LongestFirst()
    {
        using var index = new ClusterPrefixIndex();
        int a = index.AddInstance("a"), b = index.AddInstance("b"), c = index.AddInstance("c");
        index.Apply(a, Stored(null, 1, 2, 3));
        index.Apply(a, Stored("CPU", 3, 4)); // block 3 in GPU and CPU: counted in GPU, its fastest
        index.Apply(b, Stored("CPU", 1, 2, 3, 4, 5));
        index.Apply(c, Stored("GPU", 2, 3)); // no first block: no prefix
        PrefixOverlap[] m = Match(index, 1, 2, 3, 4, 5, 6);
        Assert.Equal([new PrefixOverlap(b, 5, 0, 5, 0, 0), new PrefixOverlap(a, 4, 3, 1, 0, 0)], m);
        Assert.Empty(Match(index, 9, 1, 2));
    }

    [Fact]
    public void Removal_IsNeverReportedAgain_PerMedium()
    {
        using var index = new ClusterPrefixIndex();
        int a = index.AddInstance("a");
        index.Apply(a, Stored("GPU", 1, 2, 3));
        index.Apply(a, Stored("CPU", 2));
        index.Apply(a, Removed("GPU", 2));
        Assert.Equal([new PrefixOverlap(a, 3, 2, 1, 0, 0)], Match(index, 1, 2, 3)); // 2 is still in CPU
        index.Apply(a, Removed("CPU", 2));
        Assert.Equal([new PrefixOverlap(a, 1, 1, 0, 0, 0)], Match(index, 1, 2, 3));
        index.Apply(a, new VllmEventBatch(0, [VllmKvEvent.Cleared]));
        Assert.Empty(Match(index, 1));
        Assert.Equal(0, index.BlockCount);
        Assert.Equal(0, index.HeldBy(a));
    }

    [Fact]
    public void DuplicateInstance_IsRejectedByName()
    {
        using var index = new ClusterPrefixIndex();
        index.AddInstance("a");
        Assert.Contains("'a'", Assert.Throws<ArgumentException>(() => index.AddInstance("a")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FollowingAStoreInProcess_AgreesWithTheStoresOwnPrefixMatch()
    {
        var options = new KvStoreOptions { MetadataOnly = true };
        options.Tiers.Add(new TierOptions(TierProfiles.Hbm3, 8) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 16) { Policy = EvictionPolicy.Lru });
        using var store = new TieredKvStore(options);
        using var index = new ClusterPrefixIndex();
        var rng = new Random(7);
        var chains = new List<BlockKey[]>();
        for (int s = 0; s < 6; s++)
        {
            var chain = new BlockKey[rng.Next(2, 8)];
            for (int i = 0; i < chain.Length; i++)
            {
                chain[i] = new BlockKey((ulong)rng.NextInt64(1, long.MaxValue), (ulong)s);
                store.Put(chain[i], i == 0 ? BlockKey.Empty : chain[i - 1], []);
            }

            chains.Add(chain);
        }

        int me = index.Follow("me", store); // joins late: the snapshot brings it up to date
        store.Remove(chains[5][1]);
        // The follower applies the snapshot one block at a time on its own thread, so a count equal to the store's can
        // be a moment of the snapshot, not its end: wait (60 s at most) for the index to agree, then assert it does.
        SpinWait.SpinUntil(() => index.HeldBy(me) == store.Count && chains.All(c => Matched(index, c) == store.MatchPrefix(c).Blocks),
            TimeSpan.FromSeconds(60));
        foreach (BlockKey[] chain in chains)
        {
            Assert.Equal(store.MatchPrefix(chain).Blocks, Matched(index, chain));
        }

        Assert.Equal(store.Count, index.HeldBy(me));
    }

    private static int Matched(ClusterPrefixIndex index, BlockKey[] chain)
    {
        PrefixOverlap[] m = Match(index, [.. chain.Select(k => k.Low)]);
        return m.Length == 0 ? 0 : m[0].Blocks;
    }
}
