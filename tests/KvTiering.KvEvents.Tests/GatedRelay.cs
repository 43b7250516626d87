using System.Net;
using System.Net.Sockets;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// A TCP relay in front of a publisher that accepts a subscriber's connection at once but connects it through only when
/// <see cref="Open"/> is called: the subscriber's socket is connected (its monitor says so) while its subscription has
/// not reached the publisher, the window a slow network or a busy publisher opens.
/// </summary>
internal sealed class GatedRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IDisposable> _open = [];
    private readonly Task _accepting;

    /// <summary>Listens on a free loopback port and relays each connection to <paramref name="upstreamPort"/> once open.</summary>
    public GatedRelay(int upstreamPort)
    {
        _listener.Start();
        _accepting = AcceptAsync(upstreamPort);
    }

    /// <summary>Where the subscriber connects.</summary>
    public string Endpoint => $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>Connects the accepted connections (and later ones) through to the publisher.</summary>
    public void Open() => _gate.TrySetResult();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_open)
        {
            _open.ForEach(d => d.Dispose());
        }

        try
        {
            _accepting.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener stopped under it.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(int upstreamPort)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient downstream = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            Accepted++;
            _ = RelayAsync(downstream, upstreamPort);
        }
    }

    private async Task RelayAsync(TcpClient downstream, int upstreamPort)
    {
        var upstream = new TcpClient();
        lock (_open)
        {
            _open.Add(downstream);
            _open.Add(upstream);
        }

        try
        {
            await _gate.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
            await upstream.ConnectAsync(IPAddress.Loopback, upstreamPort, _stop.Token).ConfigureAwait(false);
            NetworkStream down = downstream.GetStream(), up = upstream.GetStream();
            await Task.WhenAny(down.CopyToAsync(up, _stop.Token), up.CopyToAsync(down, _stop.Token)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side closed, or the relay stopped.
        }
        finally
        {
            downstream.Dispose();
            upstream.Dispose();
        }
    }
}
