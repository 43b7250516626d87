using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace KvTiering.Benchmarks;

/// <summary>
/// A TCP relay in front of a server that delays every reply by <see cref="DelayMilliseconds"/>, as a delay line: each
/// chunk the server sends leaves the relay that long after it came, in order, so replies overlap as on a long link
/// (the C# twin of the relay in samples/AgentServer/Drill/remote-drill.sh). Requests pass at once.
/// </summary>
internal sealed class DelayRelay : IDisposable
{
    private readonly TcpListener _listener;
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();

    public DelayRelay(int serverPort)
    {
        _serverPort = serverPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    /// <summary>The delay added to every reply, milliseconds; read per chunk, so it can change between measurements.</summary>
    public volatile int DelayMilliseconds;

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
                client.NoDelay = true;
                server.NoDelay = true;
                await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
                await Task.WhenAll(
                    client.GetStream().CopyToAsync(server.GetStream(), _stop.Token),
                    DelayedCopyAsync(server.GetStream(), client.GetStream()));
            }
            catch (Exception)
            {
                // A closed connection or the relay stopping: either ends this pair.
            }
        }
    }

    private async Task DelayedCopyAsync(NetworkStream from, NetworkStream to)
    {
        var line = Channel.CreateUnbounded<(long Due, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Task deliver = DeliverAsync(line.Reader, to);
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                long due = Environment.TickCount64 + DelayMilliseconds;
                line.Writer.TryWrite((due, buffer.AsSpan(0, read).ToArray()));
            }
        }
        finally
        {
            line.Writer.TryComplete();
            await deliver;
        }
    }

    private async Task DeliverAsync(ChannelReader<(long Due, byte[] Data)> line, NetworkStream to)
    {
        await foreach ((long due, byte[] data) in line.ReadAllAsync(_stop.Token))
        {
            long wait = due - Environment.TickCount64;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), _stop.Token);
            }

            await to.WriteAsync(data, _stop.Token);
        }
    }
}
