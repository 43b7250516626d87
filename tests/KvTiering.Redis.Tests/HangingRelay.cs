using System.Net;
using System.Net.Sockets;

namespace KvTiering.Redis.Tests;

/// <summary>
/// A TCP relay in front of a test server that can stop passing the server's replies on (<see cref="Hung"/>), as a server
/// that accepts commands and does not answer (hung, or overloaded past the timeout): the connection stays up, so the
/// client's calls time out instead of failing at once. Replies held meanwhile flow once it is cleared.
/// </summary>
internal sealed class HangingRelay : IDisposable
{
    private readonly TcpListener _listener;
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();

    public HangingRelay(int serverPort)
    {
        _serverPort = serverPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    /// <summary>While true, the server's replies are held.</summary>
    public volatile bool Hung;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
                await Task.WhenAll(
                    client.GetStream().CopyToAsync(server.GetStream(), _stop.Token),
                    RepliesAsync(server.GetStream(), client.GetStream()));
            }
            catch (Exception)
            {
                // A closed connection or the relay stopping: either ends this pair.
            }
        }
    }

    private async Task RepliesAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            while (Hung)
            {
                await Task.Delay(5, _stop.Token);
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }
}
