using KvTiering.Blocks;
using KvTiering.Transfer.Protocol;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

/// <summary>Faults after the handshake: only whole, verified frames ever reach the receiving store.</summary>
public sealed class StreamFaultTests
{
    private const int Blocks = 8;

    /// <summary>Where frame <paramref name="index"/> starts in the sender's byte stream.</summary>
    private static long FrameStart(int index) => Handshake.Bytes + ((long)index * TinyFrame);

    private static async Task<(BlockSendResult Send, BlockReceiveResult Receive, BlockKey[] Chain, Ends Ends)> RunThroughAsync(FaultyLink link)
    {
        var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(Blocks);
        var (sender, receiver, relay) = link.Open(BlockTransferOptions.Default.CreatePipeOptions(TinyLayout.BytesPerBlock));
        var (send, receive) = await RunAsync(ends, sender, receiver, chain);
        await relay;
        return (send, receive, chain, ends);
    }

    [Fact]
    public async Task A_cut_in_the_middle_of_a_frame_keeps_the_whole_frames_before_it_and_nothing_of_the_cut_one()
    {
        var (send, receive, chain, ends) = await RunThroughAsync(new FaultyLink { CutAfter = FrameStart(5) + 100 });
        using (ends)
        {
            Assert.False(receive.Completed);
            Assert.Equal(TransferFault.Truncated, receive.Fault);
            Assert.Contains("100 bytes into frame 5", receive.Reason);
            Assert.Equal(6, receive.BlocksReceived);
            Assert.Equal(5, receive.BlocksVerified);
            Assert.Equal(5, receive.BlocksStored);
            Assert.Equal(1, receive.BlocksRejected);
            Assert.Equal(-1, receive.BlocksAnnounced);
            Assert.Equal(5, ends.ReceiverStore.Count);
            AssertHolds(ends.ReceiverStore, chain[..5]);
            AssertLacks(ends.ReceiverStore, chain[5..]);

            Assert.False(send.Completed);
            Assert.Equal(TransferFault.Truncated, send.Fault);
            Assert.NotNull(send.Receipt);
            Assert.Equal(5, send.Receipt.BlocksStored);
            Assert.Equal(1, send.Receipt.BlocksRejected);
        }
    }

    [Fact]
    public async Task A_cut_inside_a_frame_header_is_a_truncated_frame_too()
    {
        var (_, receive, chain, ends) = await RunThroughAsync(new FaultyLink { CutAfter = FrameStart(2) + 10 });
        using (ends)
        {
            Assert.Equal(TransferFault.Truncated, receive.Fault);
            Assert.Equal(2, receive.BlocksVerified);
            Assert.Equal(1, receive.BlocksRejected);
            Assert.Equal(2, ends.ReceiverStore.Count);
            AssertHolds(ends.ReceiverStore, chain[..2]);
        }
    }

    [Fact]
    public async Task A_stream_that_ends_between_frames_without_an_end_frame_is_incomplete_but_loses_no_block()
    {
        var (send, receive, chain, ends) = await RunThroughAsync(new FaultyLink { CutAfter = FrameStart(Blocks) });
        using (ends)
        {
            Assert.False(receive.Completed);
            Assert.Equal(TransferFault.Truncated, receive.Fault);
            Assert.Contains("before the end frame", receive.Reason);
            Assert.Equal(Blocks, receive.BlocksVerified);
            Assert.Equal(0, receive.BlocksRejected);
            AssertHolds(ends.ReceiverStore, chain);
            Assert.False(send.Completed);
        }
    }

    [Fact]
    public async Task A_connection_reset_mid_frame_leaves_no_partial_block()
    {
        var (send, receive, chain, ends) = await RunThroughAsync(new FaultyLink { CutAfter = FrameStart(4) + 60, CutWithError = true });
        using (ends)
        {
            Assert.False(receive.Completed);
            Assert.Equal(TransferFault.ConnectionLost, receive.Fault);
            Assert.Contains("connection reset (test)", receive.Reason);

            // A reset may overtake bytes still in the pipe, so only whole frames that were read count, and all of
            // them are exact.
            Assert.InRange(receive.BlocksVerified, 0, 4);
            Assert.Equal(receive.BlocksVerified, ends.ReceiverStore.Count);
            AssertHolds(ends.ReceiverStore, chain[..(int)receive.BlocksVerified]);
            AssertLacks(ends.ReceiverStore, chain[4..]);
            Assert.False(send.Completed);
        }
    }

    [Fact]
    public async Task A_corrupt_payload_byte_is_rejected_and_stops_the_stream()
    {
        var (send, receive, chain, ends) = await RunThroughAsync(new FaultyLink { CorruptAt = FrameStart(3) + WireFormat.FrameHeaderBytes + 77 });
        using (ends)
        {
            Assert.False(receive.Completed);
            Assert.Equal(TransferFault.ChecksumMismatch, receive.Fault);
            Assert.Contains($"frame 3 (key {chain[3]}) failed its checksum", receive.Reason);
            Assert.Equal(4, receive.BlocksReceived);
            Assert.Equal(3, receive.BlocksVerified);
            Assert.Equal(1, receive.BlocksRejected);
            Assert.Equal(3, ends.ReceiverStore.Count);
            AssertHolds(ends.ReceiverStore, chain[..3]);
            AssertLacks(ends.ReceiverStore, chain[3..]);

            Assert.False(send.Completed);
            Assert.Equal(TransferFault.ChecksumMismatch, send.Fault);
            Assert.StartsWith("the receiver stopped the stream: frame 3", send.Reason);
            Assert.Equal(3, send.Receipt!.BlocksStored);
        }
    }

    [Theory]
    [InlineData(9)]    // a byte of the key: the checksum covers the header
    [InlineData(30)]   // a byte of the parent
    [InlineData(175)]  // the last byte of the checksum itself (40 + 128 + 8 − 1)
    public async Task A_corrupt_header_or_checksum_byte_is_a_checksum_mismatch(int offsetInFrame)
    {
        var (_, receive, chain, ends) = await RunThroughAsync(new FaultyLink { CorruptAt = FrameStart(2) + offsetInFrame });
        using (ends)
        {
            Assert.Equal(TransferFault.ChecksumMismatch, receive.Fault);
            Assert.Equal(2, receive.BlocksVerified);
            Assert.Equal(1, receive.BlocksRejected);
            AssertHolds(ends.ReceiverStore, chain[..2]);
            AssertLacks(ends.ReceiverStore, chain[2..]);
        }
    }

    [Fact]
    public async Task A_corrupt_length_field_is_an_invalid_frame()
    {
        // The length's high byte: 128 becomes 0xFF000080, beyond any block.
        var (send, receive, chain, ends) = await RunThroughAsync(new FaultyLink { CorruptAt = FrameStart(6) + 7 });
        using (ends)
        {
            Assert.Equal(TransferFault.InvalidFrame, receive.Fault);
            Assert.Contains("frame 6 is invalid: payload length", receive.Reason);
            Assert.Equal(6, receive.BlocksVerified);
            Assert.Equal(1, receive.BlocksRejected);
            AssertHolds(ends.ReceiverStore, chain[..6]);
            AssertLacks(ends.ReceiverStore, chain[6..]);
            Assert.Equal(TransferFault.InvalidFrame, send.Fault);
        }
    }

    [Fact]
    public async Task A_frame_missing_its_last_bytes_swallows_the_next_one_and_fails_its_checksum()
    {
        // Frame 2 loses 10 payload bytes; the receiver reads its declared length into frame 3's bytes.
        var (_, receive, chain, ends) = await RunThroughAsync(new FaultyLink { DropFrom = FrameStart(2) + 100, DropCount = 10 });
        using (ends)
        {
            Assert.Equal(TransferFault.ChecksumMismatch, receive.Fault);
            Assert.Equal(2, receive.BlocksVerified);
            Assert.Equal(1, receive.BlocksRejected);
            AssertHolds(ends.ReceiverStore, chain[..2]);
            AssertLacks(ends.ReceiverStore, chain[2..]);
        }
    }

    [Fact]
    public async Task A_frame_lost_whole_shows_up_as_a_count_mismatch_at_the_end_frame()
    {
        var (send, receive, chain, ends) = await RunThroughAsync(new FaultyLink { DropFrom = FrameStart(4), DropCount = TinyFrame });
        using (ends)
        {
            Assert.False(receive.Completed);
            Assert.Equal(TransferFault.CountMismatch, receive.Fault);
            Assert.Equal(Blocks, receive.BlocksAnnounced);
            Assert.Equal(Blocks - 1, receive.BlocksVerified);
            Assert.Contains($"announced {Blocks} blocks", receive.Reason);
            AssertHolds(ends.ReceiverStore, chain.Where((_, i) => i != 4));
            AssertLacks(ends.ReceiverStore, [chain[4]]);
            Assert.Equal(TransferFault.CountMismatch, send.Fault);
        }
    }
}
