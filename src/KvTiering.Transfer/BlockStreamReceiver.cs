using System.IO.Pipelines;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Transfer.Protocol;

namespace KvTiering.Transfer;

/// <summary>
/// The decode side of a block stream: checks the sender's handshake against its own layout and key namespace,
/// then puts every whole, checksum-verified block frame into its store, and finally sends back a receipt.
/// </summary>
/// <remarks>
/// Only complete frames whose XXH3-64 checksum matches ever reach the store: a stream cut mid-frame, a truncated or
/// corrupt frame, or a refused handshake leaves no partial block behind, and the result says what arrived and what
/// was refused. A checksum failure stops the stream, because the failing bytes may include the length that frames
/// the rest. The design follows the KV transfer paths of disaggregated serving systems, which split prefill and
/// decode onto different machines: DistServe (Zhong et al., OSDI 2024), Splitwise (Patel et al., ISCA 2024) and
/// Mooncake (Qin et al., FAST 2025). An instance is thread-safe and may serve many connections at once.
/// </remarks>
public sealed class BlockStreamReceiver
{
    private readonly Handshake _local;
    private readonly FrameReader _frames; // stateless between receives: one for all

    /// <summary>Creates a receiver that puts blocks into <paramref name="store"/>, keyed by <paramref name="hasher"/>'s namespace.</summary>
    /// <exception cref="ArgumentException">The store keeps no payloads, or its layout is not the hasher's.</exception>
    public BlockStreamReceiver(TieredKvStore store, BlockHasher hasher, BlockTransferOptions? options = null)
    {
        CheckStore(store, hasher);
        Store = store;
        Hasher = hasher;
        Options = options ?? BlockTransferOptions.Default;
        _local = Handshake.For(hasher, 0);
        _frames = new FrameReader(store);
    }

    /// <summary>The store verified blocks go into.</summary>
    public TieredKvStore Store { get; }

    /// <summary>The hasher whose layout and namespace the sender must match.</summary>
    public BlockHasher Hasher { get; }

    /// <summary>Pipe sizing and timeouts.</summary>
    public BlockTransferOptions Options { get; }

    /// <summary>
    /// Receives one block stream from <paramref name="connection"/>, completing both of its halves before it returns.
    /// Faults of the peer or the connection (refused handshake, corrupt or cut frames, lost connection, idle timeout)
    /// end in a result, never an exception.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<BlockReceiveResult> ReceiveAsync(IDuplexPipe connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var tally = new ReceiveTally();
        Exception? failure = null;
        try
        {
            bool accepted = false;
            using (var deadline = new Deadline(Options.IdleTimeout, cancellationToken))
            {
                try
                {
                    accepted = await HandshakeAsync(connection, tally, deadline).ConfigureAwait(false);
                    if (accepted)
                    {
                        await _frames.ReadAsync(connection.Input, tally, deadline).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (deadline.TimedOut)
                {
                    tally.DiscardPending(TransferFault.TimedOut, PipeIO.Idle(Options.IdleTimeout));
                }
                catch (Exception ex) when (PipeIO.IsTransportFailure(ex))
                {
                    tally.DiscardPending(TransferFault.ConnectionLost, $"the connection failed ({ex.Message})");
                }
            }

            if (accepted)
            {
                var receipt = new ReceiverMessage(ReceiverMessage.Receipt, tally.Fault, tally.Received, tally.Stored,
                    tally.Rejected, tally.Reason);
                await TryWriteAsync(connection.Output, receipt, cancellationToken).ConfigureAwait(false);
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
            await CompleteAsync(connection, failure).ConfigureAwait(false);
        }
    }

    private async ValueTask<bool> HandshakeAsync(IDuplexPipe connection, ReceiveTally tally, Deadline deadline)
    {
        byte[] hello = new byte[Handshake.Bytes];
        int got = await PipeIO.ReadAtMostAsync(connection.Input, hello.AsMemory(0, Handshake.PrefixBytes), deadline)
            .ConfigureAwait(false);
        TransferFault fault;
        string? reason;
        if (got < Handshake.PrefixBytes)
        {
            fault = got == 0 ? TransferFault.ConnectionLost : TransferFault.Truncated;
            reason = $"the stream ended {got} bytes into the {Handshake.Bytes}-byte handshake";
        }
        else
        {
            fault = Handshake.CheckPrefix(hello.AsSpan(0, Handshake.PrefixBytes), out int length, out reason);
            if (fault == TransferFault.None)
            {
                got = await PipeIO.ReadAtMostAsync(connection.Input, hello.AsMemory(Handshake.PrefixBytes, length - Handshake.PrefixBytes),
                    deadline).ConfigureAwait(false);
                fault = Check(hello, Handshake.PrefixBytes + got, tally, out reason);
            }
        }

        if (fault != TransferFault.None)
        {
            tally.Fail(fault, reason);
            await TryWriteAsync(connection.Output, new ReceiverMessage(ReceiverMessage.Reply, fault, 0, 0, 0, reason),
                deadline.Token).ConfigureAwait(false);
            return false;
        }

        await PipeIO.WriteMessageAsync(connection.Output,
            new ReceiverMessage(ReceiverMessage.Reply, TransferFault.None, 0, 0, 0, null), deadline).ConfigureAwait(false);
        return true;
    }

    private TransferFault Check(byte[] hello, int length, ReceiveTally tally, out string? reason)
    {
        if (length < Handshake.Bytes)
        {
            reason = $"the stream ended {length} bytes into the {Handshake.Bytes}-byte handshake";
            return TransferFault.Truncated;
        }

        if (!Handshake.TryRead(hello, out Handshake remote))
        {
            reason = "the handshake failed its checksum";
            return TransferFault.MalformedHandshake;
        }

        tally.Session = remote.Session;
        return Handshake.Compare(remote, _local, out reason);
    }

    /// <summary>Best effort: the peer may be gone, and what it would learn does not change what this side stored.</summary>
    private async ValueTask TryWriteAsync(PipeWriter output, ReceiverMessage message, CancellationToken cancellationToken)
    {
        using var deadline = new Deadline(Options.IdleTimeout, cancellationToken);
        try
        {
            await PipeIO.WriteMessageAsync(output, message, deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (PipeIO.IsTransportFailure(ex) || ex is InvalidOperationException)
        {
            // InvalidOperationException: the writer was already completed by a failed pump.
        }
    }

    private static async ValueTask CompleteAsync(IDuplexPipe connection, Exception? exception)
    {
        await connection.Input.CompleteAsync(exception).ConfigureAwait(false);
        await connection.Output.CompleteAsync(exception).ConfigureAwait(false);
    }

    internal static void CheckStore(TieredKvStore store, BlockHasher hasher)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(hasher);
        if (store.MetadataOnly || store.Layout is null)
        {
            ThrowHelper.ThrowArgument(nameof(store), "The store keeps no payload bytes, so it has no blocks to stream.");
        }

        if (store.Layout != hasher.Layout)
        {
            ThrowHelper.ThrowArgument(nameof(hasher),
                $"The hasher's layout ({hasher.Layout}) is not the store's ({store.Layout}).");
        }
    }
}
