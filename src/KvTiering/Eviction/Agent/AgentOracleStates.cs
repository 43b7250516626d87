namespace KvTiering.Eviction;

/// <summary>
/// With <see cref="AgentPolicyOptions.OracleDiagnostic"/>: which live sessions the oracle ranks by their true next
/// request; the others keep the policy's own estimate (a partial oracle, docs/policies/agent-research-log.md, "Session 23, noise24").
/// </summary>
[Flags]
public enum AgentOracleStates
{
    /// <summary>No session: the policy's estimate everywhere.</summary>
    None = 0,

    /// <summary>Sessions in flight: no hint since their latest request (every session without hints).</summary>
    InFlight = 1,

    /// <summary>Sessions paused on a tool call (the server's hint).</summary>
    Paused = 2,

    /// <summary>Sessions awaiting their user after an end of turn (the server's hint).</summary>
    AwaitingUser = 4,

    /// <summary>Every live session: the full oracle (<c>oracle=true</c>).</summary>
    All = InFlight | Paused | AwaitingUser,
}
