using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace KvTiering.Transfer.Transport;

/// <summary>
/// A connected link (a TCP socket, or TLS over one) as a duplex pipe: one loop moves received bytes into the input
/// pipe and one moves the output pipe's bytes onto the link. Both pipes carry the block-sized pause thresholds, so a
/// slow reader stops the receive loop, the socket's window fills, and the far sender's flush waits: back-pressure end
/// to end. The sender and receiver see the same pipes whether or not TLS is under them.
/// </summary>
internal sealed class Connection : IDuplexPipe, IAsyncDisposable
{
    private const int ReceiveHint = 4096;
    private readonly ILink _link;
    private readonly Pipe _received;
    private readonly Pipe _toSend;
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _linger;
    private readonly Task _receiving;
    private readonly Task _sending;
    private int _disposed;

    /// <param name="link">A connected link; the connection owns it.</param>
    /// <param name="options">Options of both pipes.</param>
    /// <param name="linger">How long closing waits for queued bytes to go out and for the peer to close its side.</param>
    public Connection(ILink link, PipeOptions options, TimeSpan linger)
    {
        _link = link;
        _linger = linger;
        _received = new Pipe(options);
        _toSend = new Pipe(options);
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    public PipeReader Input => _received.Reader;

    public PipeWriter Output => _toSend.Writer;

    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _received.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                Memory<byte> memory = writer.GetMemory(ReceiveHint);
                int read = await _link.ReceiveAsync(memory, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                FlushResult flush = await writer.FlushAsync(_stop.Token).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    // The reader stopped (a receiver refusing the rest). Discard what still arrives until the peer
                    // closes, so closing this socket does not reset the connection before the peer reads our reply.
                    await DrainAsync().ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            error = ex;
        }

        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task DrainAsync()
    {
        byte[] sink = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await _link.ReceiveAsync(sink, _stop.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    private async Task SendLoopAsync()
    {
        PipeReader reader = _toSend.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult read = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    await _link.SendAsync(segment, _stop.Token).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            await _link.ShutdownSendAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A socket error, or the exception the writer completed with (a cancelled or failed transfer): either
            // way the stream did not end cleanly, and the writer's next flush reports it.
            error = ex;
        }

        await reader.CompleteAsync(error).ConfigureAwait(false);
    }

    /// <summary>
    /// Lets queued bytes (a receipt, an end frame) reach the peer and the peer close its side, waiting at most the
    /// linger time for each, then closes the socket.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _toSend.Writer.CompleteAsync().ConfigureAwait(false);
        await _received.Reader.CompleteAsync().ConfigureAwait(false);
        await WaitAsync(_sending).ConfigureAwait(false);
        await WaitAsync(_receiving).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        _link.Abort();
        await _sending.ConfigureAwait(false);
        await _receiving.ConfigureAwait(false);

        // Only now, with neither loop inside it: a TLS session freed under a pending read or write is freed in use.
        _link.Dispose();
        _stop.Dispose();
    }

    private async ValueTask WaitAsync(Task loop)
    {
        try
        {
            await loop.WaitAsync(_linger).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }
}
