namespace KvTiering.Eviction;

/// <summary>A session's category and pending reuse in <see cref="ReuseProbPolicy"/>.</summary>
internal struct ReuseProbSession : ISessionState
{
    public int Blocks { get; set; }

    /// <summary>Requests seen so far.</summary>
    public int Turns { get; set; }

    /// <summary>How the latest response ended: 0 unknown, 1 tool call, 2 end of turn.</summary>
    public byte Ending { get; set; }

    /// <summary>The category its latest request was counted in (it waits to see whether the session comes back).</summary>
    public byte Category { get; set; }

    /// <summary>Whether the latest request's end was counted and its reuse not yet seen.</summary>
    public bool Pending { get; set; }

    /// <summary>When the latest request ended (its last touch, or its hint).</summary>
    public double EndAt { get; set; }

    public readonly bool Keep(double now) => false;
}
