using System.Net;
using System.Net.Sockets;
using KvTiering.Blocks;
using KvTiering.Transfer.Transport;

namespace KvTiering.Transfer;

/// <summary>
/// Connects to a <see cref="BlockStreamServer"/> over loopback TCP and streams blocks with a
/// <see cref="BlockStreamSender"/>, one connection per stream.
/// </summary>
/// <remarks>
/// Loopback only, like the server: the protocol has no authentication or encryption. Thread-safe; streams to the
/// same or different servers may run concurrently.
/// </remarks>
public sealed class BlockStreamClient
{
    /// <summary>Creates a client that streams with <paramref name="sender"/>.</summary>
    public BlockStreamClient(BlockStreamSender sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        Sender = sender;
    }

    /// <summary>The sender that frames and streams the blocks.</summary>
    public BlockStreamSender Sender { get; }

    /// <summary>Connects to <paramref name="endPoint"/> and streams a chain; see <see cref="BlockStreamSender.SendChainAsync"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="endPoint"/> is not a loopback address, or a key is empty.</exception>
    /// <exception cref="SocketException">The connection was refused.</exception>
    /// <exception cref="TimeoutException">The connection was not made within <see cref="BlockTransferOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<BlockSendResult> SendChainAsync(IPEndPoint endPoint, BlockKey firstParent, ReadOnlyMemory<BlockKey> chain,
        long session = 0, CancellationToken cancellationToken = default)
    {
        SocketConnection connection = await ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await Sender.SendChainAsync(connection, firstParent, chain, session, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Connects to <paramref name="endPoint"/> and streams any blocks; see <see cref="BlockStreamSender.SendAsync"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="endPoint"/> is not a loopback address, a key is empty, or the lists differ in length.</exception>
    /// <exception cref="SocketException">The connection was refused.</exception>
    /// <exception cref="TimeoutException">The connection was not made within <see cref="BlockTransferOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<BlockSendResult> SendAsync(IPEndPoint endPoint, ReadOnlyMemory<BlockKey> keys, ReadOnlyMemory<BlockKey> parents,
        long session = 0, CancellationToken cancellationToken = default)
    {
        SocketConnection connection = await ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await Sender.SendAsync(connection, keys, parents, session, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<SocketConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (!IPAddress.IsLoopback(endPoint.Address))
        {
            ThrowHelper.ThrowArgument(nameof(endPoint),
                $"Endpoint {endPoint} is not a loopback address: the block stream is unauthenticated and runs on loopback only.");
        }

        BlockTransferOptions options = Sender.Options;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (options.ConnectTimeout != Timeout.InfiniteTimeSpan)
            {
                timeout.CancelAfter(options.ConnectTimeout);
            }

            try
            {
                await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ThrowHelper.ThrowTimeout($"Connecting to {endPoint} took longer than {options.ConnectTimeout}.");
            }

            return new SocketConnection(socket, options.CreatePipeOptions(Sender.Store.BlockBytes), BlockStreamServer.Linger(options));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
