using System.Net;
using System.Net.Sockets;

namespace KvTiering.Transfer.Tests;

/// <summary>
/// A man in the middle on loopback: relays one TCP connection to a target, flipping one bit of the client-to-server
/// bytes at a given offset. Over TLS that byte is ciphertext, so the server must refuse the record, not store it.
/// </summary>
internal sealed class TamperingRelay : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public TamperingRelay()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Relays one connection to <paramref name="target"/> until either side closes.</summary>
    public async Task RelayOneAsync(IPEndPoint target, long flipAt)
    {
        using Socket client = await _listener.AcceptAsync();
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await server.ConnectAsync(target);
        Task up = PumpAsync(client, server, flipAt);
        Task down = PumpAsync(server, client, -1);
        await Task.WhenAny(up, down);
        // One side gave up (the server, on the forged record): cut the other too, as a middlebox that lost its peer.
        client.LingerState = new LingerOption(true, 0);
        server.LingerState = new LingerOption(true, 0);
        client.Close();
        server.Close();
        await Task.WhenAll(up, down);
    }

    private static async Task PumpAsync(Socket from, Socket to, long flipAt)
    {
        var buffer = new byte[64 * 1024];
        long position = 0;
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (flipAt >= position && flipAt < position + read)
                {
                    buffer[flipAt - position] ^= 0x01;
                }

                position += read;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _listener.Dispose();
}
