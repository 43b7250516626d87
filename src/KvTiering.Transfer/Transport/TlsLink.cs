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
    /// <param name="socket">The socket under <paramref name="tls"/>: half-closed at the end, closed to abort pending I/O.</param>
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

    public ValueTask ShutdownSendAsync()
    {
        // FIN only, no close_notify: SslStream.ShutdownAsync would run OpenSSL's shutdown on the session while the
        // receive loop may be decrypting the peer's receipt on it, and an OpenSSL session is not safe for that. The
        // peer's read ends cleanly at the FIN; a cut connection is told apart by the protocol's end frame and counts,
        // not by close_notify.
        _socket.Shutdown(SocketShutdown.Send);
        return ValueTask.CompletedTask;
    }

    public void Abort() => _socket.Dispose();

    /// <summary>Frees the TLS session: only once both loops have left it (after <see cref="Abort"/>).</summary>
    public void Dispose() => _tls.Dispose();
}
