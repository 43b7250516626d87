namespace KvTiering.Eviction;

/// <summary>A session's pin in <see cref="ContinuumPolicy"/>.</summary>
internal struct ContinuumSession : ISessionState
{
    private double _pausedAt;
    private bool _paused;

    public int Blocks { get; set; }

    /// <summary>The pin's expiry (0: not pinned).</summary>
    public double PinUntil { get; set; }

    /// <summary>When the session's last response ended in a tool call; NaN when it is not waiting on a tool.</summary>
    public double PausedAt
    {
        readonly get => _paused ? _pausedAt : double.NaN;
        set
        {
            _paused = !double.IsNaN(value);
            _pausedAt = value;
        }
    }

    public readonly bool Keep(double now) => _paused || PinUntil > now;
}
