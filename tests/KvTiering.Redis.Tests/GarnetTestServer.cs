using System.Globalization;
using Garnet;
using KvTiering.Testing;

namespace KvTiering.Redis.Tests;

/// <summary>
/// A Garnet server embedded in the test process, bound to 127.0.0.1 only, on a port that survives
/// <see cref="Stop"/> and <see cref="Start"/> so a test can kill and restart "the" server. Data lives in memory: a
/// restart loses every value, as a cache server's restart would.
/// </summary>
/// <remarks>
/// The port comes from <see cref="StablePorts"/>: one found free through port 0 could be taken by a parallel test
/// before Garnet bound it, or while a test had the server stopped.
/// </remarks>
public sealed class GarnetTestServer : IDisposable
{
    private readonly string? _password;
    private GarnetServer? _server;

    /// <param name="password">A password clients must give (Garnet's <c>--auth Password</c>), or null for none.</param>
    public GarnetTestServer(string? password = null)
    {
        _password = password;
        Port = StablePorts.Start(port =>
        {
            _server = Launch(port, password);
            return port;
        });
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public bool IsRunning => _server is not null;

    public void Start()
    {
        _server ??= Launch(Port, _password);
    }

    private static GarnetServer Launch(int port, string? password)
    {
        string[] auth = password is null ? [] : ["--auth", "Password", "--password", password];
        var server = new GarnetServer(
        [
            "--bind", "127.0.0.1",
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--memory", "64m",
            "--index", "1m",
            .. auth,
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

        return server;
    }

    /// <summary>Kills the server: its listener and every client connection close.</summary>
    public void Stop()
    {
        _server?.Dispose();
        _server = null;
    }

    public void Dispose() => Stop();
}
