using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using KvTiering.Transfer.Transport;

namespace KvTiering.Transfer;

/// <summary>
/// Accepts block streams over TCP and hands each to a <see cref="BlockStreamReceiver"/>. It listens from the moment
/// it is built: by default on 127.0.0.1 and an ephemeral port chosen by the operating system (<see cref="EndPoint"/>),
/// or on any endpoint when given <see cref="BlockStreamTls"/>.
/// </summary>
/// <remarks>
/// Without TLS the protocol has no authentication or encryption, so a plaintext server binds loopback only (two
/// nodes on one host, or one process). With TLS both ends authenticate: a client without a certificate that chains
/// to <see cref="BlockStreamTls.TrustedRoots"/> is refused before any of its bytes reach the receiver, with
/// <see cref="TransferFault.AuthenticationFailed"/>. Each connection carries one stream; streams on different
/// connections run concurrently, and a failed or stalled connection never stops the others.
/// </remarks>
public sealed class BlockStreamServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly TlsHandshaker? _handshaker;
    private int _disposed;

    /// <summary>Starts listening on 127.0.0.1 and an ephemeral port, in plaintext; <paramref name="receiver"/> takes every stream.</summary>
    /// <param name="receiver">Where streams go.</param>
    /// <param name="backlog">Pending connections the operating system may queue (default 64).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is below 1.</exception>
    public BlockStreamServer(BlockStreamReceiver receiver, int backlog = 64)
        : this(receiver, new IPEndPoint(IPAddress.Loopback, 0), tls: null, backlog)
    {
    }

    /// <summary>
    /// Starts listening on <paramref name="endPoint"/> (port 0 lets the operating system choose); with
    /// <paramref name="tls"/>, every connection must complete a mutually authenticated TLS handshake first.
    /// </summary>
    /// <param name="receiver">Where streams go.</param>
    /// <param name="endPoint">The address and port to bind: any address with TLS, a loopback address without.</param>
    /// <param name="tls">This node's certificate and the roots clients must chain to; null for plaintext (loopback only).</param>
    /// <param name="backlog">Pending connections the operating system may queue (default 64).</param>
    /// <exception cref="ArgumentException"><paramref name="endPoint"/> is not a loopback address and <paramref name="tls"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is below 1.</exception>
    /// <exception cref="SocketException">The endpoint cannot be bound (in use, or not this host's address).</exception>
    public BlockStreamServer(BlockStreamReceiver receiver, IPEndPoint endPoint, BlockStreamTls? tls, int backlog = 64)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(endPoint);
        if (backlog < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(backlog), backlog, $"Backlog {backlog} must be at least 1.");
        }

        if (tls is null && !IPAddress.IsLoopback(endPoint.Address))
        {
            ThrowHelper.ThrowArgument(nameof(endPoint), $"Endpoint {endPoint} is not a loopback address: a plaintext block " +
                "stream is unauthenticated and runs on loopback only; give the server a BlockStreamTls to listen there.");
        }

        Receiver = receiver;
        Tls = tls;
        _handshaker = tls is null ? null : new TlsHandshaker(tls);
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endPoint);
            _listener.Listen(backlog);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>
    /// The address and port bound: the port the operating system chose when asked for 0. Bound to a wildcard address
    /// (<see cref="IPAddress.Any"/>), clients connect to one of the host's addresses at this port.
    /// </summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The TLS settings every connection is authenticated with; null for a plaintext loopback server.</summary>
    public BlockStreamTls? Tls { get; }

    /// <summary>The receiver every stream goes to.</summary>
    public BlockStreamReceiver Receiver { get; }

    /// <summary>
    /// Accepts one connection and receives its stream. A connection that fails its TLS handshake (no, or an
    /// untrusted, certificate; a plaintext client; a handshake stalled past <see cref="BlockTransferOptions.IdleTimeout"/>)
    /// ends in a result with <see cref="TransferFault.AuthenticationFailed"/> or <see cref="TransferFault.TimedOut"/>,
    /// and nothing of it reaches the store.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public async Task<BlockReceiveResult> ReceiveOneAsync(CancellationToken cancellationToken = default)
    {
        Socket socket = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        return await ReceiveAsync(socket, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Accepts connections until <paramref name="cancellationToken"/> is cancelled, receiving their streams
    /// concurrently, and yields each result as its stream ends.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async IAsyncEnumerable<BlockReceiveResult> ServeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var results = Channel.CreateUnbounded<BlockReceiveResult>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task accepting = AcceptLoopAsync(results.Writer, stop.Token);
        try
        {
            await foreach (BlockReceiveResult result in results.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return result;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await accepting.ConfigureAwait(false);
        }
    }

    private async Task AcceptLoopAsync(ChannelWriter<BlockReceiveResult> results, CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        try
        {
            while (true)
            {
                Socket socket = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(ReceiveIntoAsync(socket, results, cancellationToken));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Cancelled or disposed: stop accepting; streams in flight end with the same token.
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        results.TryComplete();
    }

    private async Task ReceiveIntoAsync(Socket socket, ChannelWriter<BlockReceiveResult> results, CancellationToken cancellationToken)
    {
        try
        {
            results.TryWrite(await ReceiveAsync(socket, cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<BlockReceiveResult> ReceiveAsync(Socket socket, CancellationToken cancellationToken)
    {
        BlockTransferOptions options = Receiver.Options;
        ILink link;
        if (_handshaker is null)
        {
            link = new SocketLink(socket);
        }
        else
        {
            socket.NoDelay = true;
            string? remote = socket.RemoteEndPoint?.ToString();
            TlsOutcome tls = await _handshaker.AuthenticateAsServerAsync(socket, options.IdleTimeout, cancellationToken).ConfigureAwait(false);
            if (tls.Session is null)
            {
                return new BlockReceiveResult { Fault = tls.Fault, Reason = tls.Reason };
            }

            if (tls.Refused)
            {
                // The client learns why from the refusal itself; the receiver never sees this connection.
                await TlsRefusal.SendAsync(tls.Session, socket, tls.Reason!, Linger(options), cancellationToken).ConfigureAwait(false);
                return new BlockReceiveResult { Fault = tls.Fault, Reason = $"refused the TLS client {remote}: {tls.Reason}" };
            }

            link = new TlsLink(tls.Session, socket);
        }

        var connection = new Connection(link, options.CreatePipeOptions(Receiver.Store.BlockBytes), Linger(options));
        await using (connection.ConfigureAwait(false))
        {
            return await Receiver.ReceiveAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>How long closing a connection waits for the last bytes and the peer's close: the idle timeout, capped at 5 s.</summary>
    internal static TimeSpan Linger(BlockTransferOptions options) =>
        options.IdleTimeout == Timeout.InfiniteTimeSpan || options.IdleTimeout > TimeSpan.FromSeconds(5)
            ? TimeSpan.FromSeconds(5)
            : options.IdleTimeout;

    /// <summary>Stops listening. Streams in flight run on until their own tokens or timeouts end them.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _listener.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
