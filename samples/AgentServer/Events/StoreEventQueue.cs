using KvTiering.Events;
using KvTiering.Store;

namespace AgentServer.Events;

/// <summary>
/// The pump's subscription to the store's events, and its renewal when events were dropped (a resync). Its job is that
/// resyncs end. The queue has room for the whole snapshot plus a number of live events, so a store holding more blocks
/// than that number no longer overflows on every snapshot. Each renewal doubles the room for live events, up to
/// 2^<see cref="MaxDoublings"/> times the first. At most <see cref="MaxSnapshots"/> snapshots are taken in any
/// <c>window</c>: a renewal beyond that follows the store from then on without one (<see cref="Complete"/> false: what
/// it held before is not published), until the pump has caught up and a window has passed, when a snapshot is tried
/// again. Closing it ends the pump's wait and refuses later renewals, so a shutdown never waits on a subscription made
/// after it.
/// </summary>
internal sealed class StoreEventQueue : IDisposable
{
    /// <summary>Snapshots taken in one window at most.</summary>
    public const int MaxSnapshots = 4;

    /// <summary>Times the room for live events is doubled at most.</summary>
    public const int MaxDoublings = 4;

    private readonly TieredKvStore _store;
    private readonly int _maxRoom;
    private readonly long _windowMs;
    private readonly long[] _snapshotTimes = new long[MaxSnapshots]; // the last ones (Environment.TickCount64), a ring
    private readonly Lock _gate = new();
    private volatile KvEventSubscription _current;
    private int _room;                        // live events the queue holds beyond a snapshot
    private int _snapshots;                   // taken so far: the ring's next slot
    private bool _closed;
    private long _incompleteSince;            // when the store was last followed without a snapshot

    /// <summary>Subscribes to <paramref name="store"/> with a snapshot.</summary>
    /// <param name="room">Live events the queue holds beyond the snapshot, at first.</param>
    /// <param name="window">The time in which at most <see cref="MaxSnapshots"/> snapshots are taken.</param>
    public StoreEventQueue(TieredKvStore store, int room, TimeSpan window)
    {
        _store = store;
        _room = room;
        _maxRoom = (int)Math.Min(int.MaxValue / 2, (long)room << MaxDoublings);
        _windowMs = (long)window.TotalMilliseconds;
        _current = Subscribe(snapshot: true);
    }

    /// <summary>The subscription to read now (it changes on <see cref="Renew"/>).</summary>
    public KvEventSubscription Current => _current;

    /// <summary>False while the store is followed without a snapshot: what it held before is not published.</summary>
    public bool Complete { get; private set; } = true;

    /// <summary>How long until a snapshot may be tried again (null when <see cref="Complete"/>).</summary>
    public TimeSpan? UntilRetry => Complete ? null
        : TimeSpan.FromMilliseconds(Math.Max(0, _incompleteSince + _windowMs - Environment.TickCount64));

    /// <summary>
    /// Replaces the subscription after a drop (or, with <paramref name="retry"/>, to take a snapshot again): with a
    /// snapshot unless <see cref="MaxSnapshots"/> were taken within the window, and twice the room for live events.
    /// </summary>
    /// <returns>False once closed: the pump stops.</returns>
    public bool Renew(bool retry = false)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            long now = Environment.TickCount64;
            long oldest = _snapshotTimes[_snapshots % MaxSnapshots];
            bool snapshot = retry || _snapshots < MaxSnapshots || now - oldest >= _windowMs;
            _room = Math.Min(_room * 2, _maxRoom);
            KvEventSubscription old = _current;
            _current = Subscribe(snapshot);
            old.Dispose();
            if (!snapshot && Complete)
            {
                _incompleteSince = now;
            }

            Complete = snapshot;
            return true;
        }
    }

    /// <summary>
    /// The pump has read everything queued and nothing was dropped: true when the store has been followed without a
    /// snapshot for a window, and the caller should renew with <c>retry</c>.
    /// </summary>
    public bool SnapshotDue() => UntilRetry == TimeSpan.Zero;

    /// <summary>Ends the current subscription (its reader completes once read) and refuses later renewals.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _current.Dispose();
        }
    }

    private KvEventSubscription Subscribe(bool snapshot)
    {
        if (!snapshot)
        {
            return _store.Events.Subscribe(_room);
        }

        _snapshotTimes[_snapshots++ % MaxSnapshots] = Environment.TickCount64;
        // The snapshot is one AllCleared and one Stored per block in each tier holding it: room for all of it, then
        // for live events. Counted just before the snapshot; blocks admitted in between take from the live room.
        long blocks = _store.GetStatistics().Tiers.Sum(t => (long)t.ResidentBlocks);
        return _store.Events.Subscribe((int)Math.Min(int.MaxValue, blocks + 1 + _room), snapshot: true);
    }
}
