using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using KvTiering.Transfer.Protocol;

namespace KvTiering.Transfer.Tests;

/// <summary>
/// A TLS client written by hand around <see cref="SslStream"/>, for tests whose client must misbehave: present no
/// certificate, or cut the connection mid-frame. It accepts any server certificate: the server is under test.
/// </summary>
internal sealed class RawTlsPeer : IAsyncDisposable
{
    private RawTlsPeer(Socket socket, SslStream tls)
    {
        Socket = socket;
        Tls = tls;
    }

    public Socket Socket { get; }

    public SslStream Tls { get; }

    /// <summary>Connects and completes the client's side of the handshake, presenting <paramref name="certificate"/> (none when null).</summary>
    public static async Task<RawTlsPeer> ConnectAsync(IPEndPoint endPoint, X509Certificate2? certificate)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificateContext = certificate is null ? null : SslStreamCertificateContext.Create(certificate, null, offline: true),
#pragma warning disable CA5359 // the server is under test here, not this hand-made peer's view of it
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
        });
        return new RawTlsPeer(socket, tls);
    }

    /// <summary>Sends the handshake of <paramref name="hasher"/> and reads the reply (with its reason); null when the connection ends first.</summary>
    public async Task<ReceiverMessage?> HandshakeAsync(KvTiering.Blocks.BlockHasher hasher)
    {
        await Tls.WriteAsync(RawPeer.Hello(hasher));
        await Tls.FlushAsync();
        var reply = new byte[ReceiverMessage.MaxBytes];
        if (!await ReadAsync(reply.AsMemory(0, ReceiverMessage.HeaderBytes)))
        {
            return null;
        }

        int length = ReceiverMessage.MessageLength(reply.AsSpan(0, ReceiverMessage.HeaderBytes), out _, out string? error);
        Assert.True(length > 0, error);
        if (!await ReadAsync(reply.AsMemory(ReceiverMessage.HeaderBytes, length - ReceiverMessage.HeaderBytes)))
        {
            return null;
        }

        Assert.True(ReceiverMessage.TryRead(reply.AsSpan(0, length), out ReceiverMessage message));
        return message;
    }

    private async Task<bool> ReadAsync(Memory<byte> buffer)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int n = await Tls.ReadAsync(buffer[got..]);
            if (n == 0)
            {
                return false;
            }

            got += n;
        }

        return true;
    }

    /// <summary>Closes the socket with a reset (no close_notify, no FIN): a connection cut mid-stream.</summary>
    public void Reset()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }

    public async ValueTask DisposeAsync() => await Tls.DisposeAsync();
}
