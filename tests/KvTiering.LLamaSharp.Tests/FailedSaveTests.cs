using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.LLamaSharp.Snapshots;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp.Tests;

/// <summary>
/// A save that fails (the drill's full disk: the lower tier's writes fail, so a snapshot larger than DRAM cannot be
/// kept) must leave what was stored before it. It used to overwrite the waypoints along its prompt and then remove
/// them, so the shared system prompt's waypoints went too and the sessions after it restored nothing.
/// </summary>
[Collection(TinyModelGroup.Name)]
public sealed class FailedSaveTests(TinyModelFixture model)
{
    private const int Shared = 160; // 10 blocks of 16: the waypoint at block 8 (index 7) lies inside it
    private static readonly LLamaSeqId Seq = TinyModelFixture.Sequence;

    private static LLamaToken[] Session(int seed) => [.. TinyModelFixture.Tokens(100, Shared), .. TinyModelFixture.Tokens(seed, 140)];

    [Fact]
    public async Task A_save_that_fails_keeps_the_shared_waypoints_and_the_sessions_after_it_restore_the_shared_prefix()
    {
        var lower = new FailingDevice(1024, model.Layout.BytesPerBlock);
        var options = new KvStoreOptions { Layout = model.Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 8));
        options.Tiers.Add(new TierOptions(TierProfiles.Flash, 1024) { DeviceFactory = (_, _) => lower });
        using var store = new TieredKvStore(options);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();

        LLamaToken[] first = Session(1);
        BlockKey[] firstKeys = Keys(first);
        Save(context, cache, first, SaveOutcome.Stored);
        BlockKey sharedWaypoint = SnapshotKeys.Waypoint(firstKeys[7]);
        Assert.True(store.Contains(sharedWaypoint)); // not read here: a hit would promote it out of the failing tier

        // An unrelated session pushes the first one's tail out of DRAM, so all of it is below when the disk fills
        // (a snapshot still in DRAM then is lost with the next demotion, as any block there is: not this test's point).
        Save(context, cache, TinyModelFixture.Tokens(50, 300), SaveOutcome.Stored);

        // The disk fills: the second session's snapshot does not fit DRAM and cannot be written below it.
        lower.FailWrites = true;
        LLamaToken[] second = Session(2);
        BlockKey[] secondKeys = Keys(second);
        Save(context, cache, second, SaveOutcome.Rejected);
        Assert.True(lower.FailedWrites > 0);
        Assert.Equal(firstKeys[^1], PointsAt(store, sharedWaypoint)); // untouched
        Assert.False(store.Contains(SnapshotKeys.Waypoint(secondKeys[15]))); // its own new waypoint is undone
        Assert.False(store.Contains(SnapshotKeys.Manifest(secondKeys[^1])));

        // A third session shares only the system prompt: it restores it from the first session's snapshot.
        LLamaToken[] third = Session(3);
        PrefixRestore restore = await cache.RestoreAsync(context, Seq, third);
        Assert.Equal(RestoreOutcome.Restored, restore.Outcome);
        Assert.Equal(Shared, restore.RestoredTokens);
        float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Seq, third.AsSpan(Shared), Shared).ToArray();
        Assert.Equal(model.Recompute(third), logits); // never wrong bytes

        // The disk has room again: a save succeeds and the shared waypoint points at the newest snapshot.
        lower.FailWrites = false;
        Save(context, cache, second, SaveOutcome.Stored);
        Assert.Equal(secondKeys[^1], PointsAt(store, sharedWaypoint));
        Assert.Equal(secondKeys[^1], PointsAt(store, SnapshotKeys.Waypoint(secondKeys[15])));
    }

    private void Save(LLamaContext context, LlamaPrefixCache cache, LLamaToken[] tokens, SaveOutcome expected)
    {
        context.NativeHandle.MemorySequenceRemove(Seq, -1, -1);
        LlamaPrefill.Prefill(context.NativeHandle, Seq, tokens, 0);
        Assert.Equal(expected, cache.Save(context, Seq, tokens).Outcome);
    }

    private BlockKey[] Keys(LLamaToken[] tokens)
    {
        var keys = new BlockKey[tokens.Length / model.Hasher.TokensPerBlock];
        model.Hasher.ComputeKeys(System.Runtime.InteropServices.MemoryMarshal.Cast<LLamaToken, int>(tokens.AsSpan()), keys);
        return keys;
    }

    private static BlockKey PointsAt(TieredKvStore store, in BlockKey waypoint)
    {
        var bytes = new byte[store.BlockBytes];
        Assert.True(store.TryGet(waypoint, bytes, out int length), "the waypoint is stored");
        Assert.True(SnapshotWaypoint.TryRead(bytes.AsSpan(0, length), out BlockKey snapshot));
        return snapshot;
    }

    /// <summary>A memory device whose writes can be made to fail, as a full disk's do.</summary>
    private sealed class FailingDevice(int slots, int slotBytes) : IBlockDevice
    {
        private readonly MemoryDevice _inner = new(slots, slotBytes);

        public bool FailWrites { get; set; }

        public int FailedWrites { get; private set; }

        public int SlotCount => _inner.SlotCount;

        public int SlotBytes => _inner.SlotBytes;

        public bool StoresPayload => true;

        public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
        {
            if (FailWrites)
            {
                FailedWrites++;
                throw new IOException("No space left on device (injected)");
            }

            _inner.Write(slot, key, parent, payload);
        }

        public int Read(int slot, in BlockKey key, Span<byte> destination) => _inner.Read(slot, key, destination);

        public int PayloadLength(int slot) => _inner.PayloadLength(slot);

        public void Free(int slot) => _inner.Free(slot);

        public void Dispose() => _inner.Dispose();
    }
}
