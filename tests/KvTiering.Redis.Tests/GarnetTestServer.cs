using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;

namespace KvTiering.Redis.Tests;

/// <summary>
/// A Garnet server embedded in the test process, bound to 127.0.0.1 only, on a free port that survives
/// <see cref="Stop"/> and <see cref="Start"/> so a test can kill and restart "the" server. Data lives in memory: a
/// restart loses every value, as a cache server's restart would.
/// </summary>
public sealed class GarnetTestServer : IDisposable
{
    private GarnetServer? _server;

    public GarnetTestServer()
    {
        Port = FreePort();
        Start();
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public bool IsRunning => _server is not null;

    public void Start()
    {
        if (_server is not null)
        {
            return;
        }

        var server = new GarnetServer(
        [
            "--bind", "127.0.0.1",
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--memory", "64m",
            "--index", "1m",
        ]);
        try
        {
            server.Start();
        }
        catch
        {
            server.Dispose();
            throw;
        }

        _server = server;
    }

    /// <summary>Kills the server: its listener and every client connection close.</summary>
    public void Stop()
    {
        _server?.Dispose();
        _server = null;
    }

    public void Dispose() => Stop();

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
