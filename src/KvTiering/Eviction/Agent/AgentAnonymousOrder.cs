namespace KvTiering.Eviction;

/// <summary>The order in which <see cref="AgentPolicy"/> evicts blocks of no known session (session 0).</summary>
public enum AgentAnonymousOrder
{
    /// <summary>Whichever of ARC's and S3-FIFO's orders two shadow caches say currently hits more.</summary>
    Adaptive = 0,

    /// <summary>ARC's adaptive split between blocks used once and blocks used again.</summary>
    Arc = 1,

    /// <summary>S3-FIFO's quick demotion: a small probationary FIFO in front of a main CLOCK.</summary>
    S3Fifo = 2,
}
