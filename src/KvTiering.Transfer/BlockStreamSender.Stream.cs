using System.Globalization;
using System.IO.Pipelines;
using KvTiering.Blocks;
using KvTiering.Transfer.Protocol;

namespace KvTiering.Transfer;

public sealed partial class BlockStreamSender
{
    private async Task<BlockSendResult> RunAsync(IDuplexPipe connection, ReadOnlyMemory<BlockKey> keys,
        ReadOnlyMemory<BlockKey> parents, BlockKey firstParent, long session, CancellationToken cancellationToken)
    {
        var tally = new SendTally { Session = session };
        Exception? failure = null;
        try
        {
            using (var deadline = new Deadline(Options.IdleTimeout, cancellationToken))
            {
                try
                {
                    await StreamAsync(connection, keys, parents, firstParent, tally, deadline).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (deadline.TimedOut)
                {
                    tally.Fail(TransferFault.TimedOut, PipeIO.Idle(Options.IdleTimeout));
                }
                catch (Exception ex) when (PipeIO.IsTransportFailure(ex))
                {
                    tally.Fail(TransferFault.ConnectionLost, $"the connection failed after {tally.Sent} blocks ({ex.Message})");
                }
            }

            if (tally.Accepted && !tally.ReceiptRead && tally.Fault == TransferFault.ConnectionLost)
            {
                // The stream broke off; the receiver may still have said why before it closed.
                await TryReadReceiptAsync(connection.Input, tally, cancellationToken).ConfigureAwait(false);
            }

            return tally.ToResult();
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            await connection.Output.CompleteAsync(failure).ConfigureAwait(false);
            await connection.Input.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    private async ValueTask StreamAsync(IDuplexPipe connection, ReadOnlyMemory<BlockKey> keys, ReadOnlyMemory<BlockKey> parents,
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
            if (unflushed >= _flushBytes)
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

    private async ValueTask TryReadReceiptAsync(PipeReader input, SendTally tally, CancellationToken cancellationToken)
    {
        using var deadline = new Deadline(Options.IdleTimeout, cancellationToken);
        var ignored = new SendTally();
        try
        {
            if (await ReadMessageAsync(input, ignored, deadline, "the receipt").ConfigureAwait(false) is
                { Type: ReceiverMessage.Receipt } receipt)
            {
                tally.OnReceipt(receipt);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (PipeIO.IsTransportFailure(ex) || ex is InvalidOperationException)
        {
            // InvalidOperationException: the input was already completed by a failed pump.
        }
    }

    /// <summary>Reads one receiver message; null (with the fault recorded) when none could be read.</summary>
    private static async ValueTask<ReceiverMessage?> ReadMessageAsync(PipeReader input, SendTally tally, Deadline deadline, string what)
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
        Handshake.For(Hasher, session).WriteTo(output.GetSpan(Handshake.Bytes));
        output.Advance(Handshake.Bytes);
    }

    /// <summary>
    /// Reads the block out of the store straight into the pipe's buffer, behind room for its header, then writes the
    /// header and the checksum around it. Returns the bytes written (0 when the store lacks the block).
    /// </summary>
    private int WriteBlock(PipeWriter output, in BlockKey key, in BlockKey parent, SendTally tally)
    {
        Span<byte> frame = output.GetSpan(WireFormat.FrameOverheadBytes + Store.BlockBytes);
        if (!Store.TryGet(key, frame.Slice(WireFormat.FrameHeaderBytes, Store.BlockBytes), out int length))
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
