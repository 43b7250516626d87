using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using KvTiering.Transfer.Transport;

namespace KvTiering.Transfer;

/// <summary>
/// Accepts block streams over TCP on the loopback interface and hands each to a <see cref="BlockStreamReceiver"/>.
/// It listens on 127.0.0.1 and an ephemeral port chosen by the operating system (<see cref="EndPoint"/>) from the
/// moment it is built.
/// </summary>
/// <remarks>
/// Loopback only: the protocol has no authentication or encryption, so it is meant for two nodes on one host (or
/// one process). Each connection carries one stream; streams on different connections run concurrently.
/// </remarks>
public sealed class BlockStreamServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private int _disposed;

    /// <summary>Starts listening on 127.0.0.1 and an ephemeral port; <paramref name="receiver"/> takes every stream.</summary>
    /// <param name="receiver">Where streams go.</param>
    /// <param name="backlog">Pending connections the operating system may queue (default 64).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is below 1.</exception>
    public BlockStreamServer(BlockStreamReceiver receiver, int backlog = 64)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        if (backlog < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(backlog), backlog, $"Backlog {backlog} must be at least 1.");
        }

        Receiver = receiver;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(backlog);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>The address clients connect to: 127.0.0.1 and the port the operating system chose.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The receiver every stream goes to.</summary>
    public BlockStreamReceiver Receiver { get; }

    /// <summary>Accepts one connection and receives its stream.</summary>
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
        var connection = new SocketConnection(socket, options.CreatePipeOptions(Receiver.Store.BlockBytes), Linger(options));
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
