using System.IO.Pipelines;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Transfer.Protocol;

namespace KvTiering.Transfer;

/// <summary>
/// The prefill side of a block stream: opens with a handshake naming its KV layout and key namespace, then reads
/// each requested block out of its store straight into the pipe's buffer, frames and checksums it there, and
/// flushes, waiting whenever the receiver falls behind. Ends with an end frame and waits for the receiver's receipt.
/// </summary>
/// <remarks>
/// Reading a block counts as an access in the source store (it may promote the block). Keys the store does not
/// hold are skipped and counted in <see cref="BlockSendResult.BlocksMissing"/>. An instance is thread-safe and may
/// run many streams at once.
/// </remarks>
public sealed class BlockStreamSender
{
    /// <summary>Smallest batch of frames between flushes.</summary>
    internal const int FlushBatchBytes = 16 * 1024;

    private readonly FrameWriter _frames; // stateless between sends: one for all

    /// <summary>Creates a sender that streams blocks out of <paramref name="store"/>, keyed by <paramref name="hasher"/>'s namespace.</summary>
    /// <exception cref="ArgumentException">The store keeps no payloads, or its layout is not the hasher's.</exception>
    public BlockStreamSender(TieredKvStore store, BlockHasher hasher, BlockTransferOptions? options = null)
    {
        BlockStreamReceiver.CheckStore(store, hasher);
        Store = store;
        Hasher = hasher;
        Options = options ?? BlockTransferOptions.Default;

        // Flush every frame for large blocks, so the socket starts sending at once; batch small ones, but in
        // batches well below the smallest pause threshold so back-pressure still bites.
        _frames = new FrameWriter(store, hasher, (int)Math.Max(WireFormat.FrameBytes(store.BlockBytes), FlushBatchBytes));
    }

    /// <summary>The store blocks are read from.</summary>
    public TieredKvStore Store { get; }

    /// <summary>The hasher whose layout and namespace the handshake announces.</summary>
    public BlockHasher Hasher { get; }

    /// <summary>Pipe sizing and timeouts.</summary>
    public BlockTransferOptions Options { get; }

    /// <summary>
    /// Streams a chain (a session's blocks in order) over <paramref name="connection"/>: block i's parent is block
    /// i − 1, and the first block's parent is <paramref name="firstParent"/> (the hasher's <see cref="BlockHasher.Root"/>
    /// for a chain from a sequence's start). Completes both halves of the connection before it returns.
    /// </summary>
    /// <param name="connection">A duplex pipe to a <see cref="BlockStreamReceiver"/>.</param>
    /// <param name="firstParent">The parent of <paramref name="chain"/>[0].</param>
    /// <param name="chain">The keys, in chain order; none may be empty.</param>
    /// <param name="session">A session id for the receiver's policies (0 when none).</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>What was sent, and the receiver's receipt. Faults of the peer or the connection end in a result, never an exception.</returns>
    /// <exception cref="ArgumentException">A key is empty.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<BlockSendResult> SendChainAsync(IDuplexPipe connection, BlockKey firstParent, ReadOnlyMemory<BlockKey> chain,
        long session = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        CheckKeys(chain.Span, nameof(chain));
        return RunAsync(connection, chain, default, firstParent, session, cancellationToken);
    }

    /// <summary>
    /// Streams any list of blocks over <paramref name="connection"/>, each with its own parent
    /// (<paramref name="parents"/>[i] is the parent of <paramref name="keys"/>[i]). Completes both halves of the
    /// connection before it returns.
    /// </summary>
    /// <param name="connection">A duplex pipe to a <see cref="BlockStreamReceiver"/>.</param>
    /// <param name="keys">The keys to send; none may be empty.</param>
    /// <param name="parents">One parent per key (<see cref="BlockKey.Empty"/> or the root for a first block).</param>
    /// <param name="session">A session id for the receiver's policies (0 when none).</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>What was sent, and the receiver's receipt. Faults of the peer or the connection end in a result, never an exception.</returns>
    /// <exception cref="ArgumentException">A key is empty, or the two lists differ in length.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<BlockSendResult> SendAsync(IDuplexPipe connection, ReadOnlyMemory<BlockKey> keys, ReadOnlyMemory<BlockKey> parents,
        long session = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        CheckKeys(keys.Span, nameof(keys));
        if (parents.Length != keys.Length)
        {
            ThrowHelper.ThrowArgument(nameof(parents), $"{parents.Length} parents were given for {keys.Length} keys; each key needs one.");
        }

        return RunAsync(connection, keys, parents, BlockKey.Empty, session, cancellationToken);
    }

    private static void CheckKeys(ReadOnlySpan<BlockKey> keys, string paramName)
    {
        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i].IsEmpty)
            {
                ThrowHelper.ThrowArgument(paramName, $"{paramName}[{i}] is the reserved empty key, which never names a block.");
            }
        }
    }

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
                    await _frames.StreamAsync(connection, keys, parents, firstParent, tally, deadline).ConfigureAwait(false);
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

    private async ValueTask TryReadReceiptAsync(PipeReader input, SendTally tally, CancellationToken cancellationToken)
    {
        using var deadline = new Deadline(Options.IdleTimeout, cancellationToken);
        var ignored = new SendTally();
        try
        {
            if (await FrameWriter.ReadMessageAsync(input, ignored, deadline, "the receipt").ConfigureAwait(false) is
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
}
