using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace KvTiering.Transfer.Transport;

/// <summary>A connected TCP socket, used as it is: the plaintext link (loopback only).</summary>
internal sealed class SocketLink : ILink
{
    private readonly Socket _socket;

    /// <param name="socket">A connected stream socket; the link owns it.</param>
    public SocketLink(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))] // one per send: no allocation per call
    public async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        for (int sent = 0; sent < buffer.Length;)
        {
            sent += await _socket.SendAsync(buffer[sent..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask ShutdownSendAsync()
    {
        // FIN: the peer's reader sees a clean end of stream.
        _socket.Shutdown(SocketShutdown.Send);
        return ValueTask.CompletedTask;
    }

    public void Abort() => _socket.Dispose();

    public void Dispose() => _socket.Dispose();
}
