using System.Globalization;
using System.IO.Pipelines;
using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.Transfer.Protocol;

/// <summary>
/// The sending side of the block-frame protocol (<see cref="WireFormat"/>) for one stream: writes the handshake, reads
/// each block out of the store straight into the pipe's buffer and frames it there, flushes every
/// <c>flushBytes</c> (waiting while the receiver falls behind), ends with the end frame and reads the receipt.
/// </summary>
internal sealed class FrameWriter(TieredKvStore store, BlockHasher hasher, int flushBytes)
{
    /// <summary>
    /// The whole exchange after the connection is open: handshake and its reply, the blocks (flushed in batches, stopping
    /// when the receiver speaks or stops reading), the end frame, and the receipt; every fault lands in the tally.
    /// </summary>
    public async ValueTask StreamAsync(IDuplexPipe connection, ReadOnlyMemory<BlockKey> keys, ReadOnlyMemory<BlockKey> parents,
        BlockKey firstParent, SendTally tally, Deadline deadline)
    {
        PipeWriter output = connection.Output;
        WriteHandshake(output, tally.Session);
        bool open = await FlushAsync(output, deadline).ConfigureAwait(false);
        ReceiverMessage? reply = await ReadMessageAsync(connection.Input, tally, deadline, "the handshake reply")
            .ConfigureAwait(false);
        if (reply is not { } answer)
        {
            return;
        }

        if (answer.Type != ReceiverMessage.Reply)
        {
            tally.Fail(TransferFault.InvalidFrame, $"the receiver sent message type {answer.Type} instead of a handshake reply");
            return;
        }

        if (answer.Fault != TransferFault.None)
        {
            tally.Fail(answer.Fault, $"the receiver refused the handshake: {answer.Reason}");
            return;
        }

        if (!open)
        {
            tally.Fail(TransferFault.ConnectionLost, "the receiver accepted the handshake but stopped reading");
            return;
        }

        tally.Accepted = true;
        long unflushed = 0;
        for (int i = 0; i < keys.Length && open; i++)
        {
            BlockKey parent = !parents.IsEmpty ? parents.Span[i] : i == 0 ? firstParent : keys.Span[i - 1];
            unflushed += WriteBlock(output, keys.Span[i], parent, tally);
            if (unflushed >= flushBytes)
            {
                open = await FlushAsync(output, deadline).ConfigureAwait(false) && !ReceiverHasSpoken(connection.Input);
                unflushed = 0;
            }
        }

        if (open)
        {
            WriteEnd(output, tally);
            open = await FlushAsync(output, deadline).ConfigureAwait(false);
            tally.Finished = open;
        }

        tally.ReceiptRead = true;
        ReceiverMessage? receipt = await ReadMessageAsync(connection.Input, tally, deadline, "the receipt").ConfigureAwait(false);
        if (receipt is { Type: ReceiverMessage.Receipt } message)
        {
            tally.OnReceipt(message);
        }
        else if (receipt is not null)
        {
            tally.Fail(TransferFault.InvalidFrame, $"the receiver sent message type {receipt.Value.Type} instead of a receipt");
        }

        if (!open)
        {
            tally.Fail(TransferFault.ConnectionLost, string.Create(CultureInfo.InvariantCulture,
                $"the receiver stopped reading after {tally.Sent} blocks"));
        }
    }

    /// <summary>Reads one receiver message; null (with the fault recorded) when none could be read.</summary>
    public static async ValueTask<ReceiverMessage?> ReadMessageAsync(PipeReader input, SendTally tally, Deadline deadline, string what)
    {
        byte[] buffer = new byte[ReceiverMessage.MaxBytes];
        int got = await PipeIO.ReadAtMostAsync(input, buffer.AsMemory(0, ReceiverMessage.HeaderBytes), deadline).ConfigureAwait(false);
        if (got < ReceiverMessage.HeaderBytes)
        {
            tally.Fail(got == 0 ? TransferFault.ConnectionLost : TransferFault.Truncated,
                $"the connection closed {got} bytes into {what}");
            return null;
        }

        int length = ReceiverMessage.MessageLength(buffer.AsSpan(0, ReceiverMessage.HeaderBytes), out TransferFault fault, out string? error);
        if (length < 0)
        {
            tally.Fail(fault, error);
            return null;
        }

        int rest = length - ReceiverMessage.HeaderBytes;
        got = await PipeIO.ReadAtMostAsync(input, buffer.AsMemory(ReceiverMessage.HeaderBytes, rest), deadline).ConfigureAwait(false);
        if (got < rest)
        {
            tally.Fail(TransferFault.Truncated, $"the connection closed inside {what}");
            return null;
        }

        if (!ReceiverMessage.TryRead(buffer.AsSpan(0, length), out ReceiverMessage message))
        {
            tally.Fail(TransferFault.ChecksumMismatch, $"{what} failed its checksum");
            return null;
        }

        return message;
    }

    /// <summary>
    /// Whether the receiver has sent something (it only speaks mid-stream to stop it) or closed: then there is no
    /// point in sending on. Peeks without consuming, so the receipt is still there to read.
    /// </summary>
    private static bool ReceiverHasSpoken(PipeReader input)
    {
        if (!input.TryRead(out ReadResult read))
        {
            return false;
        }

        bool spoken = !read.Buffer.IsEmpty || read.IsCompleted;
        input.AdvanceTo(read.Buffer.Start);
        return spoken;
    }

    private static async ValueTask<bool> FlushAsync(PipeWriter output, Deadline deadline)
    {
        deadline.Restart();
        FlushResult flush = await output.FlushAsync(deadline.Token).ConfigureAwait(false);
        return !flush.IsCompleted;
    }

    private void WriteHandshake(PipeWriter output, long session)
    {
        Handshake.For(hasher, session).WriteTo(output.GetSpan(Handshake.Bytes));
        output.Advance(Handshake.Bytes);
    }

    /// <summary>
    /// Reads the block out of the store straight into the pipe's buffer, behind room for its header, then writes the
    /// header and the checksum around it. Returns the bytes written (0 when the store lacks the block).
    /// </summary>
    private int WriteBlock(PipeWriter output, in BlockKey key, in BlockKey parent, SendTally tally)
    {
        Span<byte> frame = output.GetSpan(WireFormat.FrameOverheadBytes + store.BlockBytes);
        if (!store.TryGet(key, frame.Slice(WireFormat.FrameHeaderBytes, store.BlockBytes), out int length))
        {
            tally.Missing++;
            return 0;
        }

        WireFormat.WriteFrameHeader(frame, WireFormat.BlockFrame, length, key, parent);
        int total = WireFormat.SealFrame(frame, length);
        output.Advance(total);
        tally.Sent++;
        tally.PayloadBytes += length;
        return total;
    }

    private static void WriteEnd(PipeWriter output, SendTally tally) =>
        output.Advance(WireFormat.WriteEndFrame(output.GetSpan(WireFormat.FrameOverheadBytes + WireFormat.EndPayloadBytes),
            tally.Sent, tally.PayloadBytes, tally.Missing));
}
