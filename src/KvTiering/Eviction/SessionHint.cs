namespace KvTiering.Eviction;

/// <summary>What a server knows about a session that the access stream alone does not say.</summary>
public enum SessionHint
{
    /// <summary>The session waits on a tool call; it will come back, usually within seconds.</summary>
    Paused,

    /// <summary>The session is active again.</summary>
    Resumed,

    /// <summary>The session's turn ended and it waits on its user: it may be back in minutes, or never.</summary>
    AwaitingUser,

    /// <summary>The session is over; its private blocks are dead weight.</summary>
    Closed,
}
