namespace KvTiering.Eviction;

/// <summary>
/// With <see cref="AgentPolicyOptions.OracleDiagnostic"/>: which true next use (the harness's oracle) ranks a live
/// session, so the ceiling of the policy's mechanics can be measured apart from its ranking (docs/policies/agent-research-log.md,
/// "Session 22, ceiling23").
/// </summary>
public enum AgentOracleRank
{
    /// <summary>
    /// The session's next request: the next use of the first block of its latest request that is its own (not in
    /// the shared segment). A next request that rewrites the latest one's tail (a turn's last block after an end of
    /// turn, a compaction) still counts as the session's return.
    /// </summary>
    NextRequest = 0,

    /// <summary>
    /// The next use of the session's latest-touched block, the deepest of its latest request (the diagnostic before
    /// session 22): a session whose next request rewrites that block ranks as one that never returns.
    /// </summary>
    DeepestBlock = 1,

    /// <summary>
    /// The next use of the block the session (or the shared segment) would give up next: the ranking knows, block by
    /// block, what Belady knows of the blocks the mechanics offer, so only the mechanics' order within a session
    /// separates it from Belady.
    /// </summary>
    VictimBlock = 2,

    /// <summary>
    /// The session's next request as <see cref="NextRequest"/> has it, ranked as a wait in seconds (the replayed
    /// trace's arrival time of that request less the present), the scale of the policy's own estimates, so the shared
    /// segment and dead branches compete with it as they do with the estimates, and a noisy
    /// (<see cref="AgentPolicyOptions.OracleNoise"/>) or partial (<see cref="AgentPolicyOptions.OracleStates"/>) oracle
    /// can be measured. Replay only (docs/policies/agent-research-log.md, "Session 23, noise24").
    /// </summary>
    NextRequestSeconds = 3,
}
