using KvTiering.Blocks;
using KvTiering.Transfer.Protocol;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

/// <summary>Idle timeouts end a stalled transfer in a result; the caller's token cancels with an exception.</summary>
public sealed class TimeoutAndCancellationTests
{
    // Long enough that a busy machine does not time out the steps a test does promptly, short enough to wait out.
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_receiver_whose_sender_stalls_mid_frame_times_out_and_drops_the_partial_frame()
    {
        using var ends = new Ends(TinyLayout, options: Idle(Short));
        BlockKey[] chain = ends.SenderChain(3);
        var (sender, receiver) = Pair(TinyLayout);

        // Everything the sender says is in the pipe before the receiver starts, so its idle timeout can only fire at
        // the stall: a test that wrote step by step failed whenever a busy machine paused it for a second in between.
        await sender.Output.WriteAsync(RawPeer.Hello(ends.SenderHasher, session: 9));
        var frames = new byte[2 * TinyFrame];
        for (int i = 0; i < 2; i++)
        {
            Span<byte> frame = frames.AsSpan(i * TinyFrame, TinyFrame);
            Payload(chain[i], 128).CopyTo(frame[WireFormat.FrameHeaderBytes..]);
            WireFormat.WriteFrameHeader(frame, WireFormat.BlockFrame, 128, chain[i], i == 0 ? ends.SenderHasher.Root : chain[0]);
            WireFormat.SealFrame(frame, 128);
        }

        await sender.Output.WriteAsync(frames.AsMemory(0, TinyFrame + 50)); // one whole frame and 50 bytes of the next, then silence

        BlockReceiveResult receive = await ends.Receiver.ReceiveAsync(receiver);
        Assert.Equal(ReceiverMessage.Reply, (await RawPeer.ReadMessageAsync(sender.Input)).Type); // the handshake's answer
        ReceiverMessage receipt = await RawPeer.ReadMessageAsync(sender.Input);

        Assert.Equal(TransferFault.TimedOut, receive.Fault);
        Assert.Contains("idle timeout", receive.Reason);
        Assert.Equal(9, receive.SessionId);
        Assert.Equal(1, receive.BlocksVerified);
        Assert.Equal(1, receive.BlocksRejected);
        Assert.Equal(1, ends.ReceiverStore.Count);
        AssertHolds(ends.ReceiverStore, [chain[0]]);
        Assert.Equal(ReceiverMessage.Receipt, receipt.Type);
        Assert.Equal(TransferFault.TimedOut, receipt.Fault);
        Assert.Equal(1, receipt.BlocksStored);
    }

    [Fact]
    public async Task A_receiver_with_no_handshake_times_out()
    {
        using var ends = new Ends(TinyLayout, options: Idle(Short));
        var (_, receiver) = Pair(TinyLayout);

        BlockReceiveResult receive = await ends.Receiver.ReceiveAsync(receiver);

        Assert.Equal(TransferFault.TimedOut, receive.Fault);
        Assert.False(receive.Completed);
    }

    [Fact]
    public async Task A_sender_whose_receiver_never_answers_times_out()
    {
        using var ends = new Ends(TinyLayout, options: Idle(Short));
        BlockKey[] chain = ends.SenderChain(2);
        var (sender, _) = Pair(TinyLayout);

        BlockSendResult send = await ends.Sender.SendChainAsync(sender, ends.SenderHasher.Root, chain);

        Assert.Equal(TransferFault.TimedOut, send.Fault);
        Assert.Equal(0, send.BlocksSent);
        Assert.False(send.Completed);
    }

    [Fact]
    public async Task A_sender_whose_receiver_stops_reading_times_out_at_the_pause_threshold()
    {
        using var ends = new Ends(SmallLayout, options: Idle(Short));
        BlockKey[] chain = ends.SenderChain(40);
        var (sender, receiver) = Pair(SmallLayout);

        // The receiver's answer is waiting before the sender starts, so the sender's idle timeout can only fire at the
        // pause threshold, not while a busy machine keeps the test from answering the handshake; then never read.
        await RawPeer.WriteAsync(receiver.Output, new ReceiverMessage(ReceiverMessage.Reply, TransferFault.None, 0, 0, 0, null));
        BlockSendResult send = await ends.Sender.SendChainAsync(sender, ends.SenderHasher.Root, chain);

        Assert.Equal(TransferFault.TimedOut, send.Fault);
        Assert.InRange(send.BlocksSent, 1, 39);
    }

    [Fact]
    public async Task Cancelling_a_receive_throws_and_completes_the_connection()
    {
        using var ends = new Ends(TinyLayout);
        var (sender, receiver) = Pair(TinyLayout);
        using var cancel = new CancellationTokenSource();

        Task<BlockReceiveResult> receiving = ends.Receiver.ReceiveAsync(receiver, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving);
        // The receiver completed its writer with the cancellation, so the far side's read fails the same way.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await sender.Input.ReadAsync());
    }

    [Fact]
    public async Task Cancelling_a_send_throws()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(2);
        var (sender, _) = Pair(TinyLayout);
        using var cancel = new CancellationTokenSource();

        Task<BlockSendResult> sending = ends.Sender.SendChainAsync(sender, ends.SenderHasher.Root, chain, cancellationToken: cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
    }

    [Fact]
    public async Task Cancelling_an_accept_throws()
    {
        using var ends = new Ends(TinyLayout);
        await using var server = new BlockStreamServer(ends.Receiver);
        using var cancel = new CancellationTokenSource();

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync(cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving);
    }

    [Fact]
    public async Task Cancelling_ServeAsync_ends_the_enumeration()
    {
        using var ends = new Ends(TinyLayout);
        await using var server = new BlockStreamServer(ends.Receiver);
        using var cancel = new CancellationTokenSource();

        Task serving = Task.Run(async () =>
        {
            await foreach (BlockReceiveResult _ in server.ServeAsync(cancel.Token))
            {
            }
        });
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving);
    }
}
