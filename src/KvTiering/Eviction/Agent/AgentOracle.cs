namespace KvTiering.Eviction;

/// <summary>
/// The oracle diagnostic of <see cref="AgentPolicy"/> (<see cref="AgentPolicyOptions.OracleDiagnostic"/>, replay only):
/// each session's true next use as <see cref="AgentOracleRank"/> defines it, the block-by-block rank, and Belady's
/// admission. It measures what the policy's mechanics reach with a perfect ranking (docs/policies/agent-research-log.md,
/// "Session 22, ceiling23"); the default policy never calls it but for the rank dump's next use.
/// </summary>
internal readonly struct AgentOracle
{
    private readonly TierView _tier;
    private readonly AgentPolicyOptions _options;
    private readonly AgentBlockLists _lists;
    private readonly AgentOracleClock? _clock; // the trace's request times (replay only), for waits in seconds

    public AgentOracle(TierView tier, AgentPolicyOptions options, AgentBlockLists lists)
    {
        _tier = tier;
        _options = options;
        _lists = lists;
        _clock = AgentOracleClock.Current;
        bool seconds = options.OracleRank == AgentOracleRank.NextRequestSeconds;
        if (options.OracleDiagnostic && !seconds && (options.OracleNoise > 0 || options.OracleStates != AgentOracleStates.All))
        {
            ThrowHelper.ThrowArgument(nameof(options), $"A noisy (σ = {options.OracleNoise}) or partial ({options.OracleStates}) oracle ranks by seconds: OracleRank must be NextRequestSeconds, not {options.OracleRank}.");
        }

        if (options.OracleDiagnostic && seconds && _clock is null)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"OracleRank {options.OracleRank} needs the replayed trace's request times: it runs only in a replay.");
        }
    }

    /// <summary>The trace's clock, when the policy runs in a replay (else null).</summary>
    public AgentOracleClock? Clock => _clock;

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
        if (!_options.OracleDiagnostic || _options.OracleRank is not (AgentOracleRank.NextRequest or AgentOracleRank.NextRequestSeconds))
        {
            s.OracleNext = _tier.NextUse(handle);
            return;
        }

        if (firstOfRequest)
        {
            s.OracleFactor = _options.OracleNoise > 0 ? Math.Exp(_options.OracleNoise * Normal(s.Id, s.Requests)) : 1.0;
            s.OracleOwnSeen = false;
            s.OracleNext = _tier.NextUse(handle); // until the request reaches a block of its own
        }

        if (own && !s.OracleOwnSeen)
        {
            s.OracleOwnSeen = true;
            s.OracleNext = _tier.NextUse(handle);
        }
    }

    /// <summary>
    /// Whether the oracle ranks a live session in <paramref name="state"/>: every one under the full oracle; under a
    /// partial one (<see cref="AgentPolicyOptions.OracleStates"/>) those of its states, while the tier ranks by
    /// expected return (<paramref name="predict"/>; under recency every session ranks by recency, as in the policy).
    /// </summary>
    public bool Ranks(byte state, bool predict) =>
        _options.OracleStates == AgentOracleStates.All
        || (predict && (_options.OracleStates & (state switch
        {
            AgentSessionState.Paused => AgentOracleStates.Paused,
            AgentSessionState.AwaitingUser => AgentOracleStates.AwaitingUser,
            _ => AgentOracleStates.InFlight,
        })) != 0);

    /// <summary>
    /// The oracle's rank of a live session: its true next use as a request index, or, under
    /// <see cref="AgentOracleRank.NextRequestSeconds"/>, its true wait in seconds until its next request (the scale of
    /// the policy's estimates) × its request's noise factor (<see cref="AgentPolicyOptions.OracleNoise"/>).
    /// </summary>
    public double Wait(ref AgentSession s, double now) =>
        _options.OracleRank != AgentOracleRank.NextRequestSeconds || s.OracleNext >= long.MaxValue ? s.OracleNext
        : _clock!.SecondsUntil(s.OracleNext, now) * s.OracleFactor;

    /// <summary>
    /// A standard normal draw that depends only on the session and its request count, so a noisy oracle's runs
    /// reproduce (SplitMix64 of the pair, two uniforms, Box–Muller).
    /// </summary>
    internal static double Normal(long session, int request)
    {
        ulong x = Mix(((ulong)session * 0x9E3779B97F4A7C15UL) ^ (uint)request);
        double u1 = ((x >> 11) + 0.5) / (1UL << 53); // (0, 1): the logarithm below is finite
        double u2 = (Mix(x) >> 11) / (double)(1UL << 53);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
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
