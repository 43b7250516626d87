using System.Net;
using System.Net.Sockets;
using KvTiering.Blocks;
using KvTiering.Transfer.Transport;

namespace KvTiering.Transfer;

/// <summary>
/// Connects to a <see cref="BlockStreamServer"/> over TCP and streams blocks with a <see cref="BlockStreamSender"/>,
/// one connection per stream: in plaintext to a loopback address, or over mutually authenticated TLS to any address.
/// </summary>
/// <remarks>
/// Without TLS the protocol has no authentication or encryption, so a plaintext client connects to loopback only.
/// With TLS the client presents its certificate and checks the server's against
/// <see cref="BlockStreamTls.TrustedRoots"/>; a handshake that fails or stalls ends in a result
/// (<see cref="TransferFault.AuthenticationFailed"/>, <see cref="TransferFault.TimedOut"/>) with no block sent.
/// Thread-safe; streams to the same or different servers may run concurrently.
/// </remarks>
public sealed class BlockStreamClient
{
    private readonly TlsHandshaker? _handshaker;

    /// <summary>Creates a client that streams with <paramref name="sender"/>: in plaintext, to loopback addresses only.</summary>
    public BlockStreamClient(BlockStreamSender sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        Sender = sender;
    }

    /// <summary>Creates a client that streams with <paramref name="sender"/> over mutually authenticated TLS, to any address.</summary>
    /// <param name="sender">The sender that frames and streams the blocks.</param>
    /// <param name="tls">This node's certificate and the roots the server's certificate must chain to.</param>
    public BlockStreamClient(BlockStreamSender sender, BlockStreamTls tls)
        : this(sender)
    {
        ArgumentNullException.ThrowIfNull(tls);
        Tls = tls;
        _handshaker = new TlsHandshaker(tls);
    }

    /// <summary>The sender that frames and streams the blocks.</summary>
    public BlockStreamSender Sender { get; }

    /// <summary>The TLS settings every connection is authenticated with; null for a plaintext loopback client.</summary>
    public BlockStreamTls? Tls { get; }

    /// <summary>Connects to <paramref name="endPoint"/> and streams a chain; see <see cref="BlockStreamSender.SendChainAsync"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="endPoint"/> is not a loopback address on a plaintext client, or a key is empty.</exception>
    /// <exception cref="SocketException">The connection was refused.</exception>
    /// <exception cref="TimeoutException">The connection was not made within <see cref="BlockTransferOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<BlockSendResult> SendChainAsync(IPEndPoint endPoint, BlockKey firstParent, ReadOnlyMemory<BlockKey> chain,
        long session = 0, CancellationToken cancellationToken = default)
    {
        (Connection? connection, BlockSendResult? refused) = await ConnectAsync(endPoint, session, cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            return refused!;
        }

        await using (connection.ConfigureAwait(false))
        {
            return await Sender.SendChainAsync(connection, firstParent, chain, session, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Connects to <paramref name="endPoint"/> and streams any blocks; see <see cref="BlockStreamSender.SendAsync"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="endPoint"/> is not a loopback address on a plaintext client, a key is empty, or the lists differ in length.</exception>
    /// <exception cref="SocketException">The connection was refused.</exception>
    /// <exception cref="TimeoutException">The connection was not made within <see cref="BlockTransferOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<BlockSendResult> SendAsync(IPEndPoint endPoint, ReadOnlyMemory<BlockKey> keys, ReadOnlyMemory<BlockKey> parents,
        long session = 0, CancellationToken cancellationToken = default)
    {
        (Connection? connection, BlockSendResult? refused) = await ConnectAsync(endPoint, session, cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            return refused!;
        }

        await using (connection.ConfigureAwait(false))
        {
            return await Sender.SendAsync(connection, keys, parents, session, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A connection ready for the block stream, or (over TLS) the result of a handshake that failed.</summary>
    private async Task<(Connection? Connection, BlockSendResult? Refused)> ConnectAsync(IPEndPoint endPoint, long session,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (_handshaker is null && !IPAddress.IsLoopback(endPoint.Address))
        {
            ThrowHelper.ThrowArgument(nameof(endPoint), $"Endpoint {endPoint} is not a loopback address: a plaintext block " +
                "stream is unauthenticated and runs on loopback only; give the client a BlockStreamTls to reach another host.");
        }

        BlockTransferOptions options = Sender.Options;
        Socket socket = await ConnectSocketAsync(endPoint, options, cancellationToken).ConfigureAwait(false);
        ILink link;
        if (_handshaker is null)
        {
            link = new SocketLink(socket);
        }
        else
        {
            socket.NoDelay = true;
            TlsOutcome tls = await _handshaker.AuthenticateAsClientAsync(socket, endPoint, options.IdleTimeout, cancellationToken)
                .ConfigureAwait(false);
            if (tls.Refused)
            {
                // A client refuses inside the handshake; a session that still comes back refused (its server's
                // certificate never checked) is closed unused.
                await tls.Session!.DisposeAsync().ConfigureAwait(false);
            }

            if (tls.Fault != TransferFault.None)
            {
                return (null, new BlockSendResult { SessionId = session, Fault = tls.Fault, Reason = tls.Reason });
            }

            link = new TlsLink(tls.Session!, socket);
        }

        return (new Connection(link, options.CreatePipeOptions(Sender.Store.BlockBytes), BlockStreamServer.Linger(options)), null);
    }

    private static async Task<Socket> ConnectSocketAsync(IPEndPoint endPoint, BlockTransferOptions options, CancellationToken cancellationToken)
    {
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

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
