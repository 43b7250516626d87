using System.IO.Pipelines;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Transfer.Protocol;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

public sealed class PipeRoundTripTests
{
    [Fact]
    public async Task Chain_arrives_whole_and_byte_exact()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(20);
        var (sender, receiver) = Pair(TinyLayout);

        var (send, receive) = await RunAsync(ends, sender, receiver, chain, session: 42);

        Assert.True(receive.Completed, receive.Reason);
        Assert.Equal(TransferFault.None, receive.Fault);
        Assert.Null(receive.Reason);
        Assert.Equal(42, receive.SessionId);
        Assert.Equal(20, receive.BlocksReceived);
        Assert.Equal(20, receive.BlocksVerified);
        Assert.Equal(20, receive.BlocksStored);
        Assert.Equal(0, receive.BlocksRejected);
        Assert.Equal(20, receive.BlocksAnnounced);
        Assert.Equal(20L * TinyLayout.BytesPerBlock, receive.PayloadBytes);
        AssertHolds(ends.ReceiverStore, chain);
        Assert.Equal(20, ends.ReceiverStore.MatchPrefix(chain).Blocks);

        Assert.True(send.Completed, send.Reason);
        Assert.Equal(20, send.BlocksSent);
        Assert.Equal(0, send.BlocksMissing);
        Assert.Equal(42, send.SessionId);
        Assert.NotNull(send.Receipt);
        Assert.True(send.Receipt.Completed);
        Assert.Equal(20, send.Receipt.BlocksStored);
        Assert.Equal(20, send.Receipt.BlocksReceived);
    }

    [Fact]
    public async Task MiB_blocks_round_trip_through_a_relay_that_splits_them_across_segments()
    {
        using var ends = new Ends(MiBLayout, capacity: 8);
        BlockKey[] chain = ends.SenderChain(6);
        var link = new FaultyLink { ChunkBytes = 100_000 };
        var (sender, receiver, relay) = link.Open(BlockTransferOptions.Default.CreatePipeOptions(MiBLayout.BytesPerBlock));

        var (send, receive) = await RunAsync(ends, sender, receiver, chain);
        await relay;

        Assert.True(receive.Completed, receive.Reason);
        Assert.True(send.Completed, send.Reason);
        Assert.Equal(6, receive.BlocksStored);
        AssertHolds(ends.ReceiverStore, chain);
    }

    [Fact]
    public async Task Keys_the_source_lacks_are_skipped_and_counted()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(10);
        ends.SenderStore.Remove(chain[3]);
        ends.SenderStore.Remove(chain[7]);
        var (sender, receiver) = Pair(TinyLayout);

        var (send, receive) = await RunAsync(ends, sender, receiver, chain);

        Assert.True(send.Completed, send.Reason);
        Assert.Equal(8, send.BlocksSent);
        Assert.Equal(2, send.BlocksMissing);
        Assert.True(receive.Completed, receive.Reason);
        Assert.Equal(8, receive.BlocksStored);
        AssertHolds(ends.ReceiverStore, chain.Where((_, i) => i is not 3 and not 7));
        AssertLacks(ends.ReceiverStore, [chain[3], chain[7]]);
        Assert.Equal(3, ends.ReceiverStore.MatchPrefix(chain).Blocks);
    }

    [Fact]
    public async Task Any_key_list_with_its_own_parents_goes_through()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] first = ends.SenderChain(4, seed: 1);
        BlockKey[] second = ends.SenderChain(4, seed: 2);
        BlockKey[] keys = [second[2], first[0], second[3], first[1]];
        BlockKey[] parents = [second[1], ends.SenderHasher.Root, second[2], first[0]];
        var (sender, receiver) = Pair(TinyLayout);

        Task<BlockReceiveResult> receiving = ends.Receiver.ReceiveAsync(receiver);
        BlockSendResult send = await ends.Sender.SendAsync(sender, keys, parents, session: 7);
        BlockReceiveResult receive = await receiving;

        Assert.True(send.Completed, send.Reason);
        Assert.Equal(4, receive.BlocksStored);
        AssertHolds(ends.ReceiverStore, keys);
    }

    [Fact]
    public async Task A_second_stream_of_the_same_chain_finds_every_block_present()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(6);
        var (s1, r1) = Pair(TinyLayout);
        await RunAsync(ends, s1, r1, chain);
        var (s2, r2) = Pair(TinyLayout);

        var (send, receive) = await RunAsync(ends, s2, r2, chain);

        Assert.True(receive.Completed, receive.Reason);
        Assert.Equal(6, receive.BlocksStored);
        Assert.Equal(6, receive.BlocksAlreadyPresent);
        Assert.Equal(6, ends.ReceiverStore.Count);
        Assert.Equal(6, send.Receipt!.BlocksStored);
    }

    [Fact]
    public async Task Blocks_the_store_declines_are_counted_but_do_not_fail_the_stream()
    {
        using var ends = new Ends(TinyLayout);
        ends.ReceiverStore.Dispose();
        using TieredKvStore full = CreateStore(TinyLayout, capacity: 4, maxPinnedFraction: 1.0);
        BlockKey[] resident = Chain(ends.ReceiverHasher, 4, seed: 9);
        Fill(full, ends.ReceiverHasher.Root, resident);
        Assert.All(resident, key => Assert.True(full.Pin(key)));
        var receiverOverFullStore = new BlockStreamReceiver(full, ends.ReceiverHasher);
        BlockKey[] chain = ends.SenderChain(3);
        var (sender, receiver) = Pair(TinyLayout);

        Task<BlockReceiveResult> receiving = receiverOverFullStore.ReceiveAsync(receiver);
        BlockSendResult send = await ends.Sender.SendChainAsync(sender, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving;

        Assert.True(receive.Completed, receive.Reason);
        Assert.Equal(3, receive.BlocksVerified);
        Assert.Equal(3, receive.BlocksNotAdmitted);
        Assert.Equal(0, receive.BlocksStored);
        Assert.Equal(0, send.Receipt!.BlocksStored);
        AssertLacks(full, chain);
    }

    [Fact]
    public async Task An_empty_chain_completes_with_nothing_sent()
    {
        using var ends = new Ends(TinyLayout);
        var (sender, receiver) = Pair(TinyLayout);

        var (send, receive) = await RunAsync(ends, sender, receiver, []);

        Assert.True(send.Completed, send.Reason);
        Assert.True(receive.Completed, receive.Reason);
        Assert.Equal(0, receive.BlocksReceived);
        Assert.Equal(0, receive.BlocksAnnounced);
    }

    [Fact]
    public async Task The_writer_waits_at_the_pause_threshold_until_the_reader_catches_up()
    {
        using var ends = new Ends(SmallLayout);
        BlockKey[] chain = ends.SenderChain(64);
        int frame = WireFormat.FrameOverheadBytes + SmallLayout.BytesPerBlock;
        long total = (64L * frame) + WireFormat.FrameBytes(WireFormat.EndPayloadBytes);
        var (sender, receiver) = Pair(SmallLayout);
        var sending = Task.Run(() => ends.Sender.SendChainAsync(sender, ends.SenderHasher.Root, chain));

        // Play the receiver by hand: accept the handshake, then read nothing for a while.
        await RawPeer.AcceptHandshakeAsync(receiver);
        await Task.Delay(300);
        ReadResult stalled = await receiver.Input.ReadAsync();
        long buffered = stalled.Buffer.Length;
        receiver.Input.AdvanceTo(stalled.Buffer.Start);

        long pause = BlockTransferOptions.Default.CreatePipeOptions(SmallLayout.BytesPerBlock).PauseWriterThreshold;
        Assert.False(sending.IsCompleted);
        Assert.True(buffered < total, $"{buffered} of {total} bytes buffered: the writer never paused");
        Assert.True(buffered <= pause + frame, $"{buffered} bytes buffered past a {pause}-byte threshold");

        // Now read everything; the writer resumes and finishes.
        Assert.Equal(total, await RawPeer.ReadToCountAsync(receiver.Input, total));
        await RawPeer.WriteReceiptAsync(receiver.Output, 64, 64);
        BlockSendResult send = await sending;
        Assert.True(send.Completed, send.Reason);
        Assert.Equal(64, send.BlocksSent);
    }
}
