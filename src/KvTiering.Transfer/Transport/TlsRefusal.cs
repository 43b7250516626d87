using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using KvTiering.Transfer.Protocol;

namespace KvTiering.Transfer.Transport;

/// <summary>
/// A server's refusal of a client's certificate, sent inside the TLS session it completed for that purpose: a handshake
/// reply with <see cref="TransferFault.AuthenticationFailed"/> and the reason. The client reads it where it reads any
/// refused handshake, so it reports the refusal instead of a lost connection. Nothing the client sent is read: its
/// bytes are discarded undecrypted until it closes.
/// </summary>
internal static class TlsRefusal
{
    /// <summary>Sends the refusal, lets the client close first (at most <paramref name="linger"/>), then closes the session and socket.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task SendAsync(SslStream session, Socket socket, string reason, TimeSpan linger, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReceiverMessage.MaxBytes);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(linger);
        try
        {
            int length = new ReceiverMessage(ReceiverMessage.Reply, TransferFault.AuthenticationFailed, 0, 0, 0, reason).WriteTo(buffer);
            await session.WriteAsync(buffer.AsMemory(0, length), limit.Token).ConfigureAwait(false);
            await session.FlushAsync(limit.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);

            // Closing with the client's handshake still unread would reset the connection, and the reset can overtake
            // the refusal. So wait for the client to close, discarding its bytes straight off the socket.
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The client did not close within the linger time: close anyway.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The client is gone already; nothing more to tell it.
        }
        finally
        {
            socket.Dispose();
            await session.DisposeAsync().ConfigureAwait(false);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
