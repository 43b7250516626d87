namespace KvTiering.Eviction;

/// <summary>
/// What a session of <see cref="AgentSessionTable"/> is waiting on, as the server's hints and its own requests say
/// (<see cref="AgentSession.State"/>); a new request returns a session to <see cref="Normal"/>, a closed one too
/// (its id used again: a server's close says the session was over, a new request that it is not).
/// </summary>
internal static class AgentSessionState
{
    /// <summary>In a request, or no word from the server since its latest one.</summary>
    public const byte Normal = 0;

    /// <summary>Waiting on a tool it called.</summary>
    public const byte Paused = 1;

    /// <summary>Closed by the server: it will not come back.</summary>
    public const byte Closed = 2;

    /// <summary>Waiting on its user (minutes), or finished.</summary>
    public const byte AwaitingUser = 3;
}
