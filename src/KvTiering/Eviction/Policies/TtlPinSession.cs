namespace KvTiering.Eviction;

/// <summary>A session's pin in <see cref="TtlPinPolicy"/>.</summary>
internal struct TtlPinSession : ISessionState
{
    public int Blocks { get; set; }

    /// <summary>Whether the session holds a pin (its blocks count against the budget until it is swept).</summary>
    public bool Pinned { get; set; }

    /// <summary>When the pin runs out.</summary>
    public double PinUntil { get; set; }

    public readonly bool Keep(double now) => Pinned; // the pinned list still names it
}
