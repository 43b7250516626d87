using AgentServer.Events;
using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.Tiers;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// Which blocks a restarted server reads as snapshot manifests: the tracker fed a flash tier's recovered blocks by
/// hand (a snapshot's chain is chunk 1 ← chunk 2 ← manifest; a waypoint has no parent), in the orders a store can raise them.
/// </summary>
public sealed class UnclaimedManifestTests
{
    private static readonly BlockKey Chunk1 = new(21, 1);
    private static readonly BlockKey Chunk2 = new(22, 1);
    private static readonly BlockKey Manifest = new(23, 1);
    private static readonly BlockKey Waypoint = new(24, 1);

    [Fact]
    public void OnlyAWholeChainsLastBlockIsOfferedAndOnlyOnce()
    {
        var tracker = new SnapshotBlockTracker(_ => { }, _ => true);
        tracker.Apply(Stored(Waypoint, BlockKey.Empty));
        tracker.Apply(Stored(Manifest, Chunk2)); // newest first, as a flash tier verifying in the background does
        Assert.Empty(Take(tracker));              // its chain is not whole yet: nothing worth reading
        tracker.Apply(Stored(Chunk2, Chunk1));
        Assert.Empty(Take(tracker));
        tracker.Apply(Stored(Chunk1, BlockKey.Empty));
        Assert.Equal([Manifest], Take(tracker)); // not the chunks (each has a child), not the waypoint (no parent)
        Assert.Empty(Take(tracker));              // once: a block that was no manifest is not read again

        tracker.Apply(Removed(Manifest));         // the manifest evicted: chunk 2 is the leaf now, read once
        Assert.Equal([Chunk2], Take(tracker));
    }

    [Fact]
    public void BlocksInMemoryAndBlocksOfARegisteredPromptAreNotOffered()
    {
        var tracker = new SnapshotBlockTracker(_ => { }, _ => true);
        tracker.Apply(Stored(Chunk1, BlockKey.Empty, tier: 0, TierKind.Dram)); // a save of this run, not yet registered
        tracker.Apply(Stored(Manifest, Chunk1, tier: 0, TierKind.Dram));
        Assert.Empty(Take(tracker));

        var other = new SnapshotBlockTracker(_ => { }, _ => true);
        other.Apply(Stored(Chunk1, BlockKey.Empty));
        other.Apply(Stored(Manifest, Chunk1));
        other.Register(new BlockKey(2, 1), [Manifest, Chunk1], [201]); // found and registered (or saved) already
        Assert.Empty(Take(other));
    }

    private static List<BlockKey> Take(SnapshotBlockTracker tracker)
    {
        var manifests = new List<BlockKey>();
        tracker.TakeUnclaimedManifests(manifests);
        return manifests;
    }

    private static KvEvent Stored(BlockKey key, BlockKey parent, int tier = 1, TierKind medium = TierKind.Flash) =>
        new(0, KvEventKind.Stored, key, parent, tier, medium);

    private static KvEvent Removed(BlockKey key) => new(0, KvEventKind.Removed, key, BlockKey.Empty, 1, TierKind.Flash);
}
