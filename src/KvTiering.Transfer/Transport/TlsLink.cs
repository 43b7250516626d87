using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;

namespace KvTiering.Transfer.Transport;

/// <summary>
/// An authenticated TLS session over a TCP socket. The block stream inside it is the plaintext protocol, byte for
/// byte; TLS adds encryption, integrity against a forger (XXH3 only stops accidents) and the peers' identities.
/// </summary>
internal sealed class TlsLink : ILink
{
    private readonly SslStream _tls;
    private readonly Socket _socket;

    /// <param name="tls">An authenticated session; the link owns it and the socket under it.</param>
    /// <param name="socket">The socket under <paramref name="tls"/>, for the half-close after close_notify.</param>
    public TlsLink(SslStream tls, Socket socket)
    {
        _tls = tls;
        _socket = socket;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // one per read: no allocation per call
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await _tls.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex)
        {
            // Under TLS 1.3 a server checks the client's certificate after the client's handshake has finished, so
            // its refusal arrives here, as an alert on the first read. It is a failed connection like any other.
            throw new IOException($"the TLS peer ended the session: {ex.Message}", ex);
        }
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        _tls.WriteAsync(buffer, cancellationToken);

    public async ValueTask ShutdownSendAsync()
    {
        // close_notify, then FIN: the peer reads a clean end of stream, and a cut connection (FIN without
        // close_notify) is still caught by the protocol's end frame and counts, not mistaken for the end.
        await _tls.ShutdownAsync().ConfigureAwait(false);
        _socket.Shutdown(SocketShutdown.Send);
    }

    public void Dispose() => _tls.Dispose();
}
