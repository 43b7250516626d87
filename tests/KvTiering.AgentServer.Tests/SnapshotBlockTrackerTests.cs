using AgentServer.Events;
using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.Tiers;

namespace KvTiering.AgentServer.Tests;

/// <summary>The tracker alone, fed store events by hand: the orderings the pump can read them in.</summary>
public sealed class SnapshotBlockTrackerTests
{
    private static readonly BlockKey Manifest = new(11, 1);
    private static readonly BlockKey Chunk = new(12, 1);
    private static readonly ulong[] Hashes = [101, 102, 103];

    [Fact]
    public void ADemotionReadBetweenItsTwoEventsIsAMoveNotARemoval()
    {
        var store = new HashSet<BlockKey> { Manifest, Chunk }; // what the store's own lookup answers
        var emitted = new List<KvEvent>();
        var tracker = new SnapshotBlockTracker(emitted.Add, store.Contains);
        tracker.Apply(Stored(Chunk, 0));
        tracker.Apply(Stored(Manifest, 0));
        tracker.Register(new BlockKey(1, 1), [Manifest, Chunk], Hashes);
        tracker.Settle();
        Assert.Equal([(KvEventKind.Stored, 0, 101UL), (KvEventKind.Stored, 0, 102UL), (KvEventKind.Stored, 0, 103UL)], Summary(emitted));
        Assert.Equal(new BlockKey(101, 1), emitted[1].Parent); // a chain: each block the parent of the next

        emitted.Clear();
        tracker.Apply(Removed(Chunk, 0)); // the store has moved it to flash already; its "stored" is not read yet
        tracker.Settle();
        Assert.Empty(emitted);
        tracker.Apply(Stored(Chunk, 1));
        tracker.Settle();
        Assert.Equal([(KvEventKind.Stored, 1, 101UL), (KvEventKind.Stored, 1, 102UL), (KvEventKind.Stored, 1, 103UL),
            (KvEventKind.Removed, 0, 103UL), (KvEventKind.Removed, 0, 102UL), (KvEventKind.Removed, 0, 101UL)], Summary(emitted));
        Assert.Equal(1, tracker.HeldPrompts);

        emitted.Clear();
        store.Remove(Manifest); // evicted for good: the prompt cannot be restored
        tracker.Apply(Removed(Manifest, 0));
        tracker.Settle();
        Assert.Equal([(KvEventKind.Removed, 1, 103UL), (KvEventKind.Removed, 1, 102UL), (KvEventKind.Removed, 1, 101UL)], Summary(emitted));
        Assert.Equal(0, tracker.HeldPrompts);
    }

    [Fact]
    public void PromptsSharingBlocksPublishEachBlockOncePerTier()
    {
        var emitted = new List<KvEvent>();
        var tracker = new SnapshotBlockTracker(emitted.Add, _ => false);
        BlockKey[] first = [new(21, 1)];
        BlockKey[] second = [new(22, 1)];
        tracker.Apply(Stored(first[0], 0));
        tracker.Apply(Stored(second[0], 0));
        tracker.Register(new BlockKey(2, 1), first, [1, 2, 3]);
        tracker.Register(new BlockKey(3, 1), second, [1, 2, 4, 5]);
        tracker.Settle();
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 5 }, emitted.Where(e => e.Kind == KvEventKind.Stored).Select(e => e.Key.Low).Order());
        Assert.Equal(new BlockKey(2, 1), emitted.Single(e => e.Key.Low == 4).Parent);

        emitted.Clear();
        tracker.Apply(Removed(first[0], 0));
        tracker.Settle();
        Assert.Equal([(KvEventKind.Removed, 0, 3UL)], Summary(emitted)); // 1 and 2 are still the second prompt's
    }

    private static KvEvent Stored(BlockKey key, int tier) => new(0, KvEventKind.Stored, key, BlockKey.Empty, tier, tier == 0 ? TierKind.Dram : TierKind.Flash);

    private static KvEvent Removed(BlockKey key, int tier) => new(0, KvEventKind.Removed, key, BlockKey.Empty, tier, tier == 0 ? TierKind.Dram : TierKind.Flash);

    private static List<(KvEventKind, int, ulong)> Summary(List<KvEvent> events) => [.. events.Select(e => (e.Kind, e.Tier, e.Key.Low))];
}
