using NetMQ;
using NetMQ.Monitoring;
using NetMQ.Sockets;

namespace KvTiering.KvEvents;

/// <summary>
/// Watches a subscriber's SUB socket through NetMQ's socket monitor: whether it has (re)connected to the publisher
/// since last asked (then what was missed is replayed), and whether it is disconnected now (then a replay in progress
/// is abandoned: the publisher went away, and is asked again once it is back). Polled by the subscriber's thread, which
/// owns it; no thread of its own.
/// </summary>
internal sealed class ConnectionWatch : IDisposable
{
    private readonly PairSocket _events = new();
    private readonly NetMQMonitor _monitor;
    private bool _connectedAgain;
    private bool _disconnected;

    /// <summary>Starts watching <paramref name="socket"/>; call before it connects, so the first connection is seen.</summary>
    public ConnectionWatch(NetMQSocket socket)
    {
        string endpoint = $"inproc://kvtiering-kv-events-sub-{Guid.NewGuid():N}";
        socket.Monitor(endpoint, SocketEvents.Connected | SocketEvents.Disconnected);
        _events.Connect(endpoint); // before the socket connects: an event sent with no peer is lost
        _monitor = new NetMQMonitor(_events, endpoint, ownsSocket: true);
        _monitor.Connected += (_, _) => (_connectedAgain, _disconnected) = (true, false);
        _monitor.Disconnected += (_, _) => _disconnected = true;
    }

    /// <summary>Whether the socket is disconnected from the publisher now (it was connected, and the connection closed).</summary>
    public bool Disconnected
    {
        get
        {
            Read();
            return _disconnected;
        }
    }

    /// <summary>Whether the socket has connected since the last call (and clears it).</summary>
    public bool TakeConnected()
    {
        Read();
        bool connected = _connectedAgain;
        _connectedAgain = false;
        return connected;
    }

    /// <summary>Stops watching.</summary>
    public void Dispose() => _monitor.Dispose(); // never started, so it only closes its socket

    private void Read()
    {
        while (_events.Poll(TimeSpan.Zero))
        {
            // Each poll hands one event to the monitor, which raises Connected or Disconnected above.
        }
    }
}
