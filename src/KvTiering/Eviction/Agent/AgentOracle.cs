namespace KvTiering.Eviction;

/// <summary>
/// The oracle diagnostic of <see cref="AgentPolicy"/> (<see cref="AgentPolicyOptions.OracleDiagnostic"/>, replay only):
/// each session's true next use as <see cref="AgentOracleRank"/> defines it, the block-by-block rank, and Belady's
/// admission. It measures what the policy's mechanics reach with a perfect ranking (docs/policies/agent.md, "Session
/// 22, ceiling23"); the default policy never calls it but for the rank dump's next use.
/// </summary>
internal readonly struct AgentOracle
{
    private readonly TierView _tier;
    private readonly AgentPolicyOptions _options;
    private readonly AgentBlockLists _lists;

    public AgentOracle(TierView tier, AgentPolicyOptions options, AgentBlockLists lists)
    {
        _tier = tier;
        _options = options;
        _lists = lists;
    }

    /// <summary>Every session and the shared segment are ranked by the true next use of the block they would give up.</summary>
    public bool ByBlock => _options.OracleDiagnostic && _options.OracleRank == AgentOracleRank.VictimBlock;

    /// <summary>
    /// The session's true next use after a touch of <paramref name="handle"/>. By default
    /// (<see cref="AgentOracleRank.NextRequest"/>) the first own block of each request sets it, so a next request that
    /// rewrites this one's tail still counts as a return; the rank dump and <see cref="AgentOracleRank.DeepestBlock"/>
    /// take every touch's (the request's deepest block last).
    /// </summary>
    public void Touch(ref AgentSession s, int handle, bool firstOfRequest, bool own)
    {
        AgentRankDump.Touch(ref s, AgentRankDump.Enabled ? _tier.NextUse(handle) : 0, firstOfRequest, own);
        if (!_options.OracleDiagnostic || _options.OracleRank != AgentOracleRank.NextRequest)
        {
            s.OracleNext = _tier.NextUse(handle);
            return;
        }

        if (firstOfRequest)
        {
            s.OracleOwnSeen = false;
            s.OracleNext = _tier.NextUse(handle); // until the request reaches a block of its own
        }

        if (own && !s.OracleOwnSeen)
        {
            s.OracleOwnSeen = true;
            s.OracleNext = _tier.NextUse(handle);
        }
    }

    /// <summary>With <see cref="AgentPolicyOptions.OracleAdmission"/>: a full tier declines a block never used again (Belady's admission).</summary>
    public bool Declines(in BlockInfo block) =>
        _options.OracleDiagnostic && _options.OracleAdmission && _tier.Count >= _tier.Capacity && block.NextUse == long.MaxValue;

    /// <summary>The true next use of the block the session (or the shared segment) would give up (<see cref="ByBlock"/>).</summary>
    public double BlockRank(bool shared, ref AgentSession s)
    {
        int handle = _lists.Pick(shared, ref s);
        return handle >= 0 ? _tier.NextUse(handle) : double.MinValue;
    }
}
