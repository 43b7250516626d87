using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.Tiers;

namespace KvTiering.KvEvents.Tests;

public sealed class KvEventBatcherTests
{
    private static BlockKey K(ulong i) => new(i, 7);

    private static KvEvent Stored(ulong key, ulong parent, int tier = 0, TierKind medium = TierKind.Hbm) =>
        new(0, KvEventKind.Stored, K(key), parent == 0 ? BlockKey.Empty : K(parent), tier, medium);

    private static KvEvent Removed(ulong key, int tier = 0, TierKind medium = TierKind.Hbm) =>
        new(0, KvEventKind.Removed, K(key), BlockKey.Empty, tier, medium);

    [Fact]
    public void AChainInOneTier_IsOneBlockStored_AndABreakStartsAnother()
    {
        var batcher = new KvEventBatcher(16, null, null);
        foreach (KvEvent e in new[]
        {
            Stored(1, 0), Stored(2, 1), Stored(3, 2), // one chain
            Stored(9, 5),                             // not 3's child: a new event with its own parent
            Stored(4, 3, tier: 1, medium: TierKind.Dram), // another tier: a new event even though it chains
            Removed(1), Removed(2),                   // removals from one tier join
            Removed(3, tier: 1, medium: TierKind.Dram),
        })
        {
            batcher.Add(e);
        }

        Assert.Equal(5, batcher.Count);
        VllmEventBatch batch = batcher.Drain(12.5, 3);
        Assert.Equal((12.5, 3), (batch.Timestamp, batch.DataParallelRank));
        Assert.Equal(
            [
                "BlockStored 1,2,3 parent= GPU",
                "BlockStored 9 parent=5 GPU",
                "BlockStored 4 parent=3 CPU",
                "BlockRemoved 1,2 parent= GPU",
                "BlockRemoved 3 parent= CPU",
            ],
            batch.Events.Select(e => $"{(e.Kind == KvEventKind.Stored ? "BlockStored" : "BlockRemoved")} {string.Join(',', e.BlockHashes)} parent={e.ParentBlockHash} {e.Medium}"));
        Assert.All(batch.Events.Where(e => e.Kind == KvEventKind.Stored), e => Assert.Equal(16, e.BlockSize));
        Assert.Equal(0, batcher.Count);
        Assert.Empty(batcher.Drain(0, null).Events);
    }

    [Fact]
    public void ExtraKeys_LoraOnEveryBlock_SaltOnlyOnAChainsFirst_ClearCutsRuns()
    {
        var batcher = new KvEventBatcher(4, "sql", "tenant");
        batcher.Add(Stored(1, 0));
        batcher.Add(Stored(2, 1));
        batcher.Add(new KvEvent(0, KvEventKind.AllCleared, default, default, -1, default));
        batcher.Add(Stored(3, 2)); // continues 2's chain, but after a clear: a new event, and not a first block
        VllmEventBatch batch = batcher.Drain(0, null);
        Assert.Equal([KvEventKind.Stored, KvEventKind.AllCleared, KvEventKind.Stored], batch.Events.Select(e => e.Kind));
        Assert.Equal("sql+tenant|sql", string.Join('|', batch.Events[0].ExtraKeys!.Select(k => string.Join('+', k!))));
        Assert.Equal("sql", string.Join('|', batch.Events[2].ExtraKeys!.Select(k => string.Join('+', k!))));
        Assert.Equal("sql", batch.Events[0].LoraName);
        Assert.Equal(2UL, batch.Events[2].ParentBlockHash);

        var plain = new KvEventBatcher(4, null, null);
        plain.Add(Stored(1, 0));
        Assert.Null(plain.Drain(0, null).Events[0].ExtraKeys); // no extra keys at all: the field is omitted
    }
}
