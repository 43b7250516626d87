using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace KvTiering.Redis.Tests;

/// <summary>
/// A TCP relay in front of a test server that can stop passing the server's replies on (<see cref="Hung"/>), as a server
/// that accepts commands and does not answer (hung, or overloaded past the timeout): the connection stays up, so the
/// client's calls time out instead of failing at once. Replies held meanwhile flow once it is cleared. It can also cut
/// every connection and turn new ones away (<see cref="Cut"/>, <see cref="Refusing"/>), so the client knows at once it
/// has no server, and count the requests that name a marker (<see cref="Marker"/>, <see cref="MarkedRequests"/>): a
/// test can tell which calls reached the server without timing any of them.
/// </summary>
internal sealed class HangingRelay : IDisposable
{
    private readonly TcpListener _listener;
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _clients = new();
    private int _marked;

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

    /// <summary>While true, a new connection is closed as soon as it is accepted.</summary>
    public volatile bool Refusing;

    /// <summary>Bytes (a test's key namespace) whose requests <see cref="MarkedRequests"/> counts; set before the calls to count.</summary>
    public byte[]? Marker;

    /// <summary>Reads from clients that held <see cref="Marker"/>: block calls that reached the relay (heartbeats name no key).</summary>
    public int MarkedRequests => Volatile.Read(ref _marked);

    /// <summary>Closes every client connection (the client sees it lost the server at once).</summary>
    public void Cut()
    {
        foreach (TcpClient client in _clients.Keys)
        {
            client.Dispose();
        }
    }

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

            if (Refusing)
            {
                client.Dispose();
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        _clients[client] = 0;
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
                await Task.WhenAll(
                    RequestsAsync(client.GetStream(), server.GetStream()),
                    RepliesAsync(server.GetStream(), client.GetStream()));
            }
            catch (Exception)
            {
                // A closed connection or the relay stopping: either ends this pair.
            }
            finally
            {
                _clients.TryRemove(client, out _);
            }
        }
    }

    private async Task RequestsAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (Marker is { } marker && buffer.AsSpan(0, read).IndexOf(marker) >= 0)
            {
                Interlocked.Increment(ref _marked);
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
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
