namespace KvTiering.Eviction;

/// <summary>What a server knows about a session that the access stream alone does not say.</summary>
public enum SessionHint
{
    /// <summary>The session waits on a tool call or the user; it will come back.</summary>
    Paused,

    /// <summary>The session is active again.</summary>
    Resumed,

    /// <summary>The session is over; its private blocks are dead weight.</summary>
    Closed,
}
