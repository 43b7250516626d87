using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Devices;

/// <summary>
/// Blocks the open's verification budget left unchecked come back without a reopen: the flash device verifies them in
/// the background and the store indexes each as it passes (issue #23: "verify payloads lazily in the background after
/// open … without delaying the open by more than a bounded time"). A lost write among them is never served.
/// </summary>
public sealed class FlashBackgroundVerificationTests : IDisposable
{
    private const int Blocks = 40;
    private const int Capacity = 64;

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    public void Dispose() => _temp.Dispose();

    /// <summary>A chain of <see cref="Blocks"/> blocks, each block's parent the one before, written to a flash-only store.</summary>
    private BlockKey[] WriteChain()
    {
        var keys = Enumerable.Range(0, Blocks).Select(Key).ToArray();
        using TieredKvStore store = CreateWithFlash(Dir, [], Capacity);
        for (int i = 0; i < Blocks; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(keys[i], i == 0 ? BlockKey.Empty : keys[i - 1], Payload(i)));
        }

        return keys;
    }

    /// <summary>Reopens with a zero budget: the open verifies no payload, so every block is deferred.</summary>
    private TieredKvStore ReopenHurried(out FlashDevice device)
    {
        FlashDevice? created = null;
        TieredKvStore store = CreateWithFlash(Dir, [], Capacity, flashFactory: (slots, bytes) =>
            created = new FlashDevice(Dir, slots, bytes, new FlashDeviceOptions { RecoveryVerificationBudget = TimeSpan.Zero }));
        device = created!;
        return store;
    }

    /// <summary>Polls for a state the device reports, with a deadline generous enough for a loaded CI machine.</summary>
    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void After_a_zero_budget_open_every_block_comes_back_without_a_reopen()
    {
        BlockKey[] keys = WriteChain();
        using TieredKvStore store = ReopenHurried(out FlashDevice device);
        Assert.Equal(Blocks, device.GetStatistics().Unverified); // the open itself verified nothing

        WaitFor(() => device.GetStatistics().PendingVerification == 0, "the background verification");
        FlashDeviceStatistics stats = device.GetStatistics();
        Assert.Equal(Blocks, stats.VerifiedAfterOpen);
        Assert.Equal(0, stats.LostWrites);
        Assert.Equal(Blocks, store.Count);
        Assert.Equal(Blocks, store.MatchPrefix(keys).Blocks);
        var buffer = new byte[store.BlockBytes];
        for (int i = 0; i < Blocks; i++)
        {
            Assert.True(store.TryGet(keys[i], buffer, out int length), $"block {i} did not come back");
            Assert.Equal(Payload(i), buffer[..length]);
        }
    }

    [Fact]
    public void A_lost_write_among_the_deferred_blocks_is_never_served_and_its_slot_is_reused()
    {
        BlockKey[] keys = WriteChain();
        const int lost = 7;
        int lostSlot;
        using (var probe = new FlashDevice(Dir, Capacity, TinyLayout.BytesPerBlock, PatientFlash.Options()))
        {
            lostSlot = probe.Recover().Single(b => b.Key.Equals(keys[lost])).Slot;
        }

        FlashSlotSurgery.ZeroPayload(Path.Combine(Dir, FlashDevice.FileName), new FlashGeometry(Capacity, TinyLayout.BytesPerBlock), lostSlot, 128);
        using TieredKvStore store = ReopenHurried(out FlashDevice device);

        // Before and during the verification, the lost block never reads and the prefix never reaches past it.
        var buffer = new byte[store.BlockBytes];
        Assert.False(store.TryGet(keys[lost], buffer, out _));
        Assert.True(store.MatchPrefix(keys).Blocks <= lost);

        WaitFor(() => device.GetStatistics().PendingVerification == 0, "the background verification");
        FlashDeviceStatistics stats = device.GetStatistics();
        Assert.Equal(1, stats.LostWrites);
        Assert.Equal(Blocks - 1, stats.VerifiedAfterOpen);
        Assert.Equal(Blocks - 1, store.Count);
        Assert.False(store.TryGet(keys[lost], buffer, out _));
        Assert.Equal(lost, store.MatchPrefix(keys).Blocks);
        Assert.Equal(lost, store.MatchPrefix(keys).Blocks);
        for (int i = 0; i < Blocks; i++)
        {
            if (i != lost)
            {
                Assert.True(store.TryGet(keys[i], buffer, out int length), $"block {i} did not come back");
                Assert.Equal(Payload(i), buffer[..length]);
            }
        }

        // The lost block's slot went back to the free list: the tier takes as many new blocks as it has room for.
        for (int i = Blocks; i < Capacity + 1; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }

        Assert.Equal(Capacity, store.Count);
    }

    [Fact]
    public void A_block_put_while_its_old_copy_waits_for_verification_keeps_the_new_bytes()
    {
        BlockKey[] keys = WriteChain();
        using TieredKvStore store = ReopenHurried(out FlashDevice device);
        byte[] fresh = Payload(1000);
        store.Put(keys[0], BlockKey.Empty, fresh); // stored beside the deferred copy, or found already resident

        WaitFor(() => device.GetStatistics().PendingVerification == 0, "the background verification");
        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(keys[0], buffer, out int length));
        byte[] got = buffer[..length];
        // Either the put landed first (the deferred copy is then dropped) or the copy was back first (the put of a
        // resident key leaves it): both are bytes written under this key, never a mix, and the block is resident once.
        Assert.True(got.SequenceEqual(fresh) || got.SequenceEqual(Payload(0)), "the block came back with bytes no one wrote");
        Assert.Equal(Blocks, store.Count);
    }

    [Fact]
    public void Disposing_during_the_verification_stops_it_and_leaves_the_blocks_for_the_next_open()
    {
        BlockKey[] keys = WriteChain();
        using (TieredKvStore store = ReopenHurried(out _))
        {
            Assert.True(store.Count <= Blocks);
        }

        using TieredKvStore again = CreateWithFlash(Dir, [], Capacity);
        Assert.Equal(Blocks, again.MatchPrefix(keys).Blocks);
    }
}
