using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp.Tests;

[Collection(TinyModelGroup.Name)]
public sealed class PersistenceTests(TinyModelFixture model)
{
    private static readonly LLamaSeqId Seq = TinyModelFixture.Sequence;

    [Fact]
    public async Task SnapshotSurvivesStoreReopen()
    {
        string directory = model.NewDirectory();
        LLamaToken[] turn1 = TinyModelFixture.Tokens(20, 230);
        LLamaToken[] turn2 = [.. turn1, .. TinyModelFixture.Tokens(21, 40)];
        SaveOnFlash(directory, turn1);

        using TieredKvStore reopened = model.NewStore(0, directory);
        Assert.True(reopened.Count > 0);
        var cache = new LlamaPrefixCache(reopened, model.Hasher);
        using LLamaContext context = model.CreateContext();
        PrefixRestore restore = await cache.RestoreAsync(context, Seq, turn2);
        Assert.Equal(RestoreOutcome.Restored, restore.Outcome);
        Assert.Equal(224, restore.RestoredTokens);
        Assert.Equal(0, restore.SourceTier);

        float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Seq, turn2.AsSpan(224), 224).ToArray();
        Assert.Equal(model.Recompute(turn2), logits);
    }

    [Fact]
    public async Task PrefetchBringsAFlashSnapshotUpSoTheRestoreReadsDram()
    {
        string directory = model.NewDirectory();
        LLamaToken[] turn1 = TinyModelFixture.Tokens(24, 230);
        LLamaToken[] turn2 = [.. turn1, .. TinyModelFixture.Tokens(25, 40)];
        SaveOnFlash(directory, turn1);

        using TieredKvStore reopened = model.NewStore(64, directory);
        var cache = new LlamaPrefixCache(reopened, model.Hasher);
        Assert.Equal(0, reopened.GetStatistics().Tiers[0].ResidentBlocks);

        int moved = await cache.PrefetchAsync(turn2);
        Assert.True(moved > 0, "nothing moved up");
        Assert.Equal(moved, reopened.GetStatistics().Tiers[0].ResidentBlocks);
        Assert.Equal(0, await cache.PrefetchAsync(turn2)); // already on top: a no-op

        using LLamaContext context = model.CreateContext();
        PrefixRestore restore = await cache.RestoreAsync(context, Seq, turn2);
        Assert.Equal(RestoreOutcome.Restored, restore.Outcome);
        Assert.Equal(224, restore.RestoredTokens);
        Assert.Equal(0, restore.SourceTier); // every chunk and the manifest from DRAM
        float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Seq, turn2.AsSpan(224), 224).ToArray();
        Assert.Equal(model.Recompute(turn2), logits);
    }

    [Fact]
    public async Task PrefetchOfAPromptWithNoSnapshotMovesNothing()
    {
        string directory = model.NewDirectory();
        SaveOnFlash(directory, TinyModelFixture.Tokens(26, 230));
        using TieredKvStore reopened = model.NewStore(64, directory);
        var cache = new LlamaPrefixCache(reopened, model.Hasher);
        Assert.Equal(0, await cache.PrefetchAsync(TinyModelFixture.Tokens(27, 270)));
        Assert.Equal(0, reopened.GetStatistics().Tiers[0].ResidentBlocks);
    }

    [Theory]
    [InlineData(0)]     // the covered token ids at the start of chunk 1
    [InlineData(4000)]  // the sequence state inside chunk 1
    public async Task FlippedBytesInTheFlashFileFallBackToPrefill(int offsetIntoChunk)
    {
        string directory = model.NewDirectory();
        LLamaToken[] turn1 = TinyModelFixture.Tokens(22, 230);
        LLamaToken[] turn2 = [.. turn1, .. TinyModelFixture.Tokens(23, 40)];
        SaveOnFlash(directory, turn1);
        FlipByte(Path.Combine(directory, FlashDevice.FileName), turn1, offsetIntoChunk);

        using TieredKvStore reopened = model.NewStore(0, directory);
        var cache = new LlamaPrefixCache(reopened, model.Hasher);
        using LLamaContext context = model.CreateContext();
        PrefixRestore restore = await cache.RestoreAsync(context, Seq, turn2);
        // The flash tier verifies payloads at open and does not recover the damaged chunk, so the snapshot lacks a
        // piece: never handed to llama.cpp. The store keeps a note of the keys the tier dropped damaged at open, so the
        // chunk's read says corrupt, not evicted, and the snapshot counts corrupt (docs/llamasharp.md, "Corrupt or
        // missing"; a miss before flash32). The tier itself counted it at open as a lost write
        // (FlashDeviceStatistics.LostWrites: at open a flipped byte and a torn write look alike).
        Assert.Equal(RestoreOutcome.Corrupt, restore.Outcome);
        Assert.Equal(0, restore.RestoredTokens);
        Assert.Equal(270, restore.TokensToPrefill);
        Assert.Equal(1, cache.GetStatistics().CorruptSnapshots);
        Assert.Equal(0, reopened.GetStatistics().Tiers[0].ChecksumFailures); // no read failed: the open dropped it

        float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Seq, turn2, 0).ToArray();
        Assert.Equal(model.Recompute(turn2), logits);

        // The incomplete snapshot was removed, so the next lookup finds none at all.
        Assert.Equal(0, reopened.GetStatistics().Tiers[0].ResidentBlocks);
        Assert.Equal(RestoreOutcome.Miss, (await cache.RestoreAsync(context, Seq, turn2)).Outcome);
        Assert.Equal(1, cache.GetStatistics().CorruptSnapshots);
    }

    [Fact]
    public async Task CorruptBytesFromAnUncheckedTierFailTheSnapshotChecksum()
    {
        LLamaToken[] tokens = TinyModelFixture.Tokens(24, 230);
        CorruptingDevice? device = null;
        var options = new KvStoreOptions { Layout = model.Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 64)
        {
            DeviceFactory = (slots, bytes) => device = new CorruptingDevice(new MemoryDevice(slots, bytes)),
        });
        using var store = new TieredKvStore(options);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
        Assert.Equal(SaveOutcome.Stored, cache.Save(context, Seq, tokens).Outcome);

        device!.Corrupt = true; // memory slots carry no checksum: only the snapshot's own XxHash3 can notice
        PrefixRestore restore = await cache.RestoreAsync(context, Seq, tokens);
        Assert.Equal(RestoreOutcome.Corrupt, restore.Outcome);
        Assert.Equal(-1, context.NativeHandle.MemorySequenceMaxPosition(Seq).Value);
        Assert.Equal(1, cache.GetStatistics().CorruptSnapshots);
        Assert.Equal(0, store.Count);
    }

    private void SaveOnFlash(string directory, LLamaToken[] tokens)
    {
        using TieredKvStore store = model.NewStore(0, directory);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
        Assert.Equal(SaveOutcome.Stored, cache.Save(context, Seq, tokens).Outcome);
    }

    /// <summary>Flips one byte of chunk 1 in the closed flash file, found by the token ids it starts with.</summary>
    private static void FlipByte(string file, LLamaToken[] tokens, int offsetIntoChunk)
    {
        byte[] pattern = System.Runtime.InteropServices.MemoryMarshal.AsBytes(tokens.AsSpan(0, 8)).ToArray();
        byte[] bytes = File.ReadAllBytes(file);
        int at = bytes.AsSpan().IndexOf(pattern);
        Assert.True(at > 0, "chunk 1 not found in the flash file");
        bytes[at + offsetIntoChunk] ^= 0x5A;
        File.WriteAllBytes(file, bytes);
    }

    /// <summary>A memory device that, once told to, flips a byte in every large block it reads.</summary>
    private sealed class CorruptingDevice(MemoryDevice inner) : IBlockDevice
    {
        public bool Corrupt { get; set; }

        public int SlotCount => inner.SlotCount;

        public int SlotBytes => inner.SlotBytes;

        public bool StoresPayload => true;

        public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) =>
            inner.Write(slot, key, parent, payload);

        public int Read(int slot, in BlockKey key, Span<byte> destination)
        {
            int read = inner.Read(slot, key, destination);
            if (Corrupt && read > 1000)
            {
                destination[read / 2] ^= 0x01;
            }

            return read;
        }

        public int PayloadLength(int slot) => inner.PayloadLength(slot);

        public void Free(int slot) => inner.Free(slot);

        public void Dispose() => inner.Dispose();
    }
}
