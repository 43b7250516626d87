using KvTiering.LLamaSharp.Snapshots;
using KvTiering.Store;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp.Tests;

[Collection(TinyModelGroup.Name)]
public sealed class LlamaPrefixCacheTests(TinyModelFixture model)
{
    private static readonly LLamaSeqId Seq = TinyModelFixture.Sequence;

    [Fact]
    public async Task RestoredLogitsEqualRecomputedOnes()
    {
        LLamaToken[] turn1 = TinyModelFixture.Tokens(1, 200);
        LLamaToken[] turn2 = [.. turn1, .. TinyModelFixture.Tokens(2, 61)];
        using TieredKvStore store = model.NewStore(256);
        var cache = new LlamaPrefixCache(store, model.Hasher);

        using (LLamaContext first = model.CreateContext())
        {
            Assert.Equal(RestoreOutcome.Miss, (await cache.RestoreAsync(first, Seq, turn1)).Outcome);
            LlamaPrefill.Prefill(first.NativeHandle, Seq, turn1, 0);
            SnapshotSave save = cache.Save(first, Seq, turn1);
            Assert.Equal(SaveOutcome.Stored, save.Outcome);
            Assert.True(save.StateBytes > 200 * model.Layout.BytesPerToken, $"state of {save.StateBytes} bytes");
        }

        using LLamaContext second = model.CreateContext();
        PrefixRestore restore = await cache.RestoreAsync(second, Seq, turn2);
        Assert.Equal(RestoreOutcome.Restored, restore.Outcome);
        Assert.Equal(192, restore.RestoredTokens); // 12 whole blocks of 16
        Assert.Equal(200, restore.SnapshotTokens);
        Assert.Equal(0, restore.SourceTier);
        Assert.Equal(191, second.NativeHandle.MemorySequenceMaxPosition(Seq).Value);

        float[] restored = LlamaPrefill.Prefill(second.NativeHandle, Seq, turn2.AsSpan(192), 192).ToArray();
        Assert.Equal(model.Recompute(turn2), restored);
        Assert.Equal(1, cache.GetStatistics().Hits);
        Assert.Equal(192, cache.GetStatistics().TokensRestored);
    }

    [Fact]
    public async Task PromptEqualToSnapshotLeavesMinPrefillTokens()
    {
        LLamaToken[] tokens = TinyModelFixture.Tokens(3, 192);
        using TieredKvStore store = model.NewStore(256);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
        Assert.Equal(SaveOutcome.Stored, cache.Save(context, Seq, tokens).Outcome);

        PrefixRestore restore = await cache.RestoreAsync(context, Seq, tokens);
        Assert.Equal(190, restore.RestoredTokens);
        Assert.Equal(2, restore.TokensToPrefill);
        float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens.AsSpan(190), 190).ToArray();
        Assert.Equal(model.Recompute(tokens), logits);
    }

    [Theory]
    [InlineData(170, 160)] // inside the snapshot's blocks: found through the waypoint at block 8, trimmed to block 10
    [InlineData(295, 288)] // inside its partial last block: found by its own key, trimmed to block 18
    [InlineData(130, 128)] // just past the waypoint
    public async Task DivergenceInsideSnapshotIsTrimmedToTheMatchedBlock(int shared, int expectedRestored)
    {
        LLamaToken[] original = TinyModelFixture.Tokens(4, 300);
        LLamaToken[] diverging = [.. original.AsSpan(0, shared), .. TinyModelFixture.Tokens(5, 90)];
        using TieredKvStore store = model.NewStore(256);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, original, 0);
        Assert.Equal(SaveOutcome.Stored, cache.Save(context, Seq, original).Outcome);

        PrefixRestore restore = await cache.RestoreAsync(context, Seq, diverging);
        Assert.Equal(RestoreOutcome.Restored, restore.Outcome);
        Assert.Equal(expectedRestored, restore.RestoredTokens);
        Assert.Equal(300, restore.SnapshotTokens);
        Assert.Equal(0, context.NativeHandle.MemorySequenceMinPosition(Seq).Value);
        Assert.Equal(expectedRestored - 1, context.NativeHandle.MemorySequenceMaxPosition(Seq).Value);

        float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Seq, diverging.AsSpan(expectedRestored), expectedRestored).ToArray();
        Assert.Equal(model.Recompute(diverging), logits);
    }

    [Fact]
    public async Task DivergenceBeforeAnyWaypointIsAMiss()
    {
        LLamaToken[] original = TinyModelFixture.Tokens(6, 300);
        LLamaToken[] diverging = [.. original.AsSpan(0, 100), .. TinyModelFixture.Tokens(7, 50)];
        using TieredKvStore store = model.NewStore(256);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, original, 0);
        cache.Save(context, Seq, original);

        PrefixRestore restore = await cache.RestoreAsync(context, Seq, diverging);
        Assert.Equal(RestoreOutcome.Miss, restore.Outcome);
        Assert.Equal(150, restore.TokensToPrefill);
        Assert.Equal(-1, context.NativeHandle.MemorySequenceMaxPosition(Seq).Value); // cleared
    }

    [Fact]
    public void LongerSaveSupersedesTheShorterSnapshot()
    {
        LLamaToken[] turn1 = TinyModelFixture.Tokens(8, 100);
        LLamaToken[] turn2 = [.. turn1, .. TinyModelFixture.Tokens(9, 100)];
        using TieredKvStore store = model.NewStore(256);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, turn1, 0);
        cache.Save(context, Seq, turn1);
        var keys = new Blocks.BlockKey[12];
        model.Hasher.ComputeKeys(System.Runtime.InteropServices.MemoryMarshal.Cast<LLamaToken, int>(turn2.AsSpan()), keys);
        Assert.True(store.Contains(SnapshotKeys.Manifest(keys[5])));

        LlamaPrefill.Prefill(context.NativeHandle, Seq, turn2.AsSpan(100), 100);
        SnapshotSave save = cache.Save(context, Seq, turn2);
        Assert.Equal(SaveOutcome.Stored, save.Outcome);
        Assert.False(store.Contains(SnapshotKeys.Manifest(keys[5])));
        Assert.True(store.Contains(SnapshotKeys.Manifest(keys[11])));
        Assert.Equal(1, cache.GetStatistics().SupersededRemoved);
        Assert.Equal(save.Chunks + 1, store.Count); // the snapshot and one waypoint (block 8)
        Assert.Equal(SaveOutcome.AlreadyPresent, cache.Save(context, Seq, turn2).Outcome);
    }

    [Fact]
    public async Task SnapshotDemotedToFlashIsRestoredFromThere()
    {
        LLamaToken[] tokens = TinyModelFixture.Tokens(10, 260);
        using TieredKvStore store = model.NewStore(4, model.NewDirectory());
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
        Assert.Equal(SaveOutcome.Stored, cache.Save(context, Seq, tokens).Outcome);

        PrefixRestore restore = await cache.RestoreAsync(context, Seq, tokens);
        Assert.Equal(RestoreOutcome.Restored, restore.Outcome);
        Assert.Equal(1, restore.SourceTier);
        float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens.AsSpan(restore.RestoredTokens), restore.RestoredTokens).ToArray();
        Assert.Equal(model.Recompute(tokens), logits);
    }

    [Fact]
    public async Task ShortSequencesAreNotSaved()
    {
        LLamaToken[] tokens = TinyModelFixture.Tokens(11, 15);
        using TieredKvStore store = model.NewStore(16);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
        Assert.Equal(SaveOutcome.TooShort, cache.Save(context, Seq, tokens).Outcome);
        Assert.Equal(0, store.Count);
        Assert.Equal(RestoreOutcome.Miss, (await cache.RestoreAsync(context, Seq, tokens)).Outcome);
    }

    [Fact]
    public void SaveRejectsTokensTheSequenceDoesNotHold()
    {
        LLamaToken[] tokens = TinyModelFixture.Tokens(12, 40);
        using TieredKvStore store = model.NewStore(16);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
        var ex = Assert.Throws<ArgumentException>(() => cache.Save(context, Seq, tokens.AsSpan(0, 32)));
        Assert.Equal("tokens", ex.ParamName);
        Assert.Contains("0 to 39", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoreTooSmallForTheSnapshotRejectsTheSaveAndKeepsNothing()
    {
        LLamaToken[] tokens = TinyModelFixture.Tokens(13, 300);
        using TieredKvStore store = model.NewStore(4);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
        Assert.Equal(SaveOutcome.Rejected, cache.Save(context, Seq, tokens).Outcome);
        Assert.Equal(0, store.Count);
        Assert.Equal(RestoreOutcome.Miss, (await cache.RestoreAsync(context, Seq, tokens)).Outcome);
    }

    [Fact]
    public async Task StoreJustLargeEnoughKeepsTheSnapshotAndDropsWaypointsFirst()
    {
        LLamaToken[] tokens = TinyModelFixture.Tokens(15, 300); // 18 blocks: waypoints at blocks 8 and 16
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
        int chunks;
        using (TieredKvStore roomy = model.NewStore(256))
        {
            chunks = new LlamaPrefixCache(roomy, model.Hasher).Save(context, Seq, tokens).Chunks;
        }

        using TieredKvStore tight = model.NewStore(chunks);
        var cache = new LlamaPrefixCache(tight, model.Hasher);
        Assert.Equal(SaveOutcome.Stored, cache.Save(context, Seq, tokens).Outcome);
        Assert.Equal(chunks, tight.Count);
        PrefixRestore restore = await cache.RestoreAsync(context, Seq, tokens);
        Assert.Equal(RestoreOutcome.Restored, restore.Outcome);
        Assert.Equal(288, restore.RestoredTokens);
    }

    [Fact]
    public async Task StateRefusedByTheContextIsAMissNotAnException()
    {
        LLamaToken[] tokens = TinyModelFixture.Tokens(14, 600);
        using TieredKvStore store = model.NewStore(256);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using (LLamaContext context = model.CreateContext())
        {
            LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
            Assert.Equal(SaveOutcome.Stored, cache.Save(context, Seq, tokens).Outcome);
        }

        // 600 tokens of state cannot fit a 256-cell cache: llama.cpp's SetState returns 0.
        var small = new LLama.Common.ModelParams(model.ModelPath)
        {
            ContextSize = 256, BatchSize = 256, UBatchSize = 256, Threads = 1, BatchThreads = 1, FlashAttention = false,
        };
        using LLamaContext tiny = model.Weights.CreateContext(small);
        PrefixRestore restore = await cache.RestoreAsync(tiny, Seq, tokens);
        Assert.Equal(RestoreOutcome.Rejected, restore.Outcome);
        Assert.Equal(0, restore.RestoredTokens);
        Assert.Equal(-1, tiny.NativeHandle.MemorySequenceMaxPosition(Seq).Value);
        Assert.Equal(1, cache.GetStatistics().RejectedStates);
    }
}
