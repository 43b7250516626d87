namespace KvTiering.Eviction;

/// <summary>Tunables of <see cref="AgentPolicy"/>; the defaults are the ones docs/policies/agent.md measures.</summary>
public sealed record AgentPolicyOptions
{
    /// <summary>The defaults.</summary>
    public static AgentPolicyOptions Default { get; } = new();

    /// <summary>
    /// How the expected wait grows with idle time once a session is past its usual gap: after idling τ seconds, a
    /// session is expected back in LindyFactor × τ (heavy-tailed gaps: the longer the wait, the longer the rest).
    /// 0 turns the idea off (the expected wait then never grows past the gap).
    /// </summary>
    public double LindyFactor { get; init; } = 1.0;

    /// <summary>
    /// A session seen for the first time is expected back after this many times the typical gap, so a one-off
    /// request (a scan, a long document) has to earn its place before it displaces sessions that have returned.
    /// </summary>
    public double ProbationFactor { get; init; } = 2.0;

    /// <summary>Weight of the newest gap in a session's moving average of inter-request gaps.</summary>
    public double GapSmoothing { get; init; } = 0.5;

    /// <summary>Accesses of one session closer together than this belong to the same request (seconds).</summary>
    public double RequestWindowSeconds { get; init; } = 0.25;

    /// <summary>Share of the tier that blocks used by more than one session may hold before they compete too.</summary>
    public double SharedShare { get; init; } = 0.25;

    /// <summary>Within a session, evict the deepest blocks first (a prefix stays useful; an orphaned tail does not).</summary>
    public bool TailFirst { get; init; } = true;

    /// <summary>Pick victims by expected return time per session; false falls back to least-recent session first.</summary>
    public bool PredictReturn { get; init; } = true;

    /// <summary>Decline a new block when its own session is the one that would give up a block for it.</summary>
    public bool Bypass { get; init; } = true;

    /// <summary>How fast idle shared blocks (used by several sessions) lose protection: their score is this × idle seconds.</summary>
    public double SharedAging { get; init; } = 1.0;

    /// <summary>Average gaps geometrically (robust to heavy tails) rather than arithmetically.</summary>
    public bool GeometricGaps { get; init; } = true;

    /// <summary>Diagnostic, replay only: rank sessions by their true next request (the harness's oracle), not the estimate.</summary>
    public bool OracleDiagnostic { get; init; }

    /// <summary>With <see cref="OracleDiagnostic"/>: which true next use ranks a live session (<see cref="AgentOracleRank"/>).</summary>
    public AgentOracleRank OracleRank { get; init; }

    /// <summary>With <see cref="OracleDiagnostic"/>: a full tier declines a block never used again (Belady's admission).</summary>
    public bool OracleAdmission { get; init; }

    /// <summary>
    /// With <see cref="AgentOracleRank.NextRequestSeconds"/>: each request's true wait × exp(σ·z), z a standard normal
    /// drawn from a hash of (session, request count), so runs reproduce: how accurate a ranking must be. Default 0.
    /// </summary>
    public double OracleNoise { get; init; }

    /// <summary>With <see cref="AgentOracleRank.NextRequestSeconds"/>: the states the oracle ranks; the rest keep the rules' estimate.</summary>
    public AgentOracleStates OracleStates { get; init; } = AgentOracleStates.All;

    /// <summary>When positive, a gap longer than this many times the session's typical gap counts only up to that bound.</summary>
    public double GapClip { get; init; } = 2.0;

    /// <summary>
    /// Forget a session as soon as it has no blocks in the tier (its gap history is lost, so its return looks like a
    /// new session). Off by default: sessions stay tracked, up to 65,536, so a return is learned as a gap.
    /// </summary>
    public bool ForgetEmptySessions { get; init; }

    /// <summary>
    /// Blocks of a session that its latest request skipped (a diverged tail, a compacted context) compete on their own,
    /// not with their session: their expected wait is this many times their idle time (a dead branch goes before
    /// live sessions), or their idle time alone, as under LRU, for a session that has come back to skipped blocks
    /// before. 0 turns the idea off (they wait until their session is the victim).
    /// </summary>
    public double StaleAging { get; init; } = 1000.0;

    /// <summary>
    /// Choose between the expected-return ordering and recency (least recently served session first, with the same
    /// grouping, tail-first order and dead-branch rule) by miniature simulation: a hashed sample of the sessions is
    /// replayed into two small shadow caches, one per ordering, and the tier follows whichever has recently hit more.
    /// False always ranks by expected return. Only the first tier runs miniatures.
    /// </summary>
    public bool Miniature { get; init; } = true;

    /// <summary>One session in this many is sampled into the miniatures, whose capacity is the tier's divided by it.</summary>
    public int MiniatureRate { get; init; } = 8;

    /// <summary>
    /// With hints: rank a session awaiting its user by the learned typical time users take to answer (like any gap),
    /// rather than before every session waiting on a tool whatever the tier's size.
    /// </summary>
    public bool LearnUserGap { get; init; } = true;

    /// <summary>
    /// With hints: rank a session awaiting its user by its expected remaining wait, read from how long users have taken
    /// to answer (the median of the answer times longer than the time already waited, less that time), measured from
    /// the moment its turn ended. False ranks it by the typical answer time alone (<see cref="LearnUserGap"/>).
    /// </summary>
    public bool UserWaitModel { get; init; } = true;

    /// <summary>
    /// With hints: rank a session waiting on a tool by its expected remaining wait, read the same way from how long
    /// tools have taken (every session's, from the end of the response that called them): what a tool call costs in
    /// time depends on the tool more than on the session. False caps the session's own expected wait at half its
    /// typical gap.
    /// </summary>
    public bool ToolWaitModel { get; init; } = true;

    /// <summary>The shared segment gives up its least recently used request's blocks deepest first, never a prefix's head.</summary>
    public bool SharedTailFirst { get; init; } = true;

    /// <summary>
    /// Rank the sessions again once the victim has given up its stale blocks (or the shared segment has shrunk back
    /// within its share), instead of going on evicting the same session for the rest of the moment: its rank may have
    /// rested on the blocks just evicted (the dead-branch rule), not on its live ones.
    /// </summary>
    public bool RecheckVictim { get; init; } = true;

    /// <summary>
    /// Blocks of no known session (session 0) leave in ARC's order over tail-first lists (blocks used again outlive
    /// blocks used once, with the split learned from ghost hits) instead of by recency per request. With no session
    /// there is no return to predict, and reuse is the only evidence left (docs/policies/agent.md, rule 11).
    /// </summary>
    public bool AnonymousArc { get; init; } = true;

    /// <summary>
    /// With <see cref="AnonymousArc"/>: the order blocks of no session leave in, ARC's, S3-FIFO's, or (the default)
    /// whichever of the two shadow caches replaying the same references say currently hits more (docs/policies/agent.md, rule 11).
    /// </summary>
    public AgentAnonymousOrder AnonymousOrder { get; init; }

    /// <summary>
    /// With the adaptive order: the ARC shadow that rule 11 consults adapts its target by real-valued ratios, as the
    /// <c>arc</c> policy and libCacheSim do (the pool's own ARC order keeps whole steps).
    /// </summary>
    public bool AnonymousShadowRealSteps { get; init; } = true;

    /// <summary>
    /// With the adaptive order: switch orders on a paired test (McNemar: only the references one shadow hits and the
    /// other misses count, and the lead must exceed two standard deviations of their number) once at least this many
    /// such references have been seen; 0 (the default) switches on the unpaired test of rule 11 (a lead over one
    /// standard deviation of the two hit counts' sum).
    /// </summary>
    public double AnonymousPairedMinimum { get; init; }

    /// <summary>
    /// With <see cref="AnonymousArc"/>: S3-FIFO's order over blocks of no session (and its shadow) learns its small
    /// queue's size from ghost hits, as ARC learns its split, up to this share of the tier (default 0.5), while
    /// <see cref="AnonymousGateRatio"/> lets it; 0 keeps S3-FIFO's fixed tenth (docs/policies/agent-research-log.md, rule 11,
    /// sessions 13 and 15: ungated, 0.5 wins every Mooncake cell but loses 1.3 points at 2.5% of a session-less replay
    /// of WEKA sessions, whose requests are a tenth of the tier).
    /// </summary>
    public double AnonymousSmallQueueCap { get; init; } = 0.5;

    /// <summary>
    /// With <see cref="AnonymousSmallQueueCap"/>: the small queue learns only while the mean request of no session is
    /// at most 1/this of the tier (<see cref="RequestSizeGate"/>; default 50: S3-FIFO's tenth holds five mean
    /// requests), and is S3-FIFO's fixed tenth otherwise; 0 learns whatever the requests' size.
    /// </summary>
    public double AnonymousGateRatio { get; init; } = 50;

    /// <summary>
    /// With the adaptive order: up to this many blocks of the tier, rule 11's two shadows hold the whole tier's keys;
    /// a larger tier is shadowed by a 1-in-R spatial sample of the keys (SHARDS, Waldspurger et al., FAST 2015) at
    /// 1/R of its capacity, R = ceil(capacity / this). Default 32,768 (docs/policies/agent.md, rule 11).
    /// </summary>
    public int AnonymousShadowBlocks { get; init; } = 32768;

    /// <summary>
    /// A session awaiting its user is ranked by the learned answer times rescaled to that session's own answers so
    /// far (geometric means), its own weighted n / (n + this) after n answers; 0 (the default: it gained on the odd
    /// WEKA sessions and lost on the whole set, docs/policies/agent.md) ranks every session by everyone's.
    /// </summary>
    public double OwnUserPrior { get; init; }

    /// <summary>
    /// A session whose user has not answered for this many typical answer times counts in the learned answer times as
    /// a wait that may never end (until it does end); 0 learns from answered waits only.
    /// </summary>
    public double UnansweredFactor { get; init; } = 10.0;

    /// <summary>
    /// With hints: users answer a reply to their own message (the request before it followed their answer, or started
    /// the session) sooner than the end of an agentic run (it followed a tool result), so the answer times are learned
    /// per kind of turn and a session awaiting its user is ranked by its kind's. False learns one distribution.
    /// </summary>
    public bool UserInputClasses { get; init; } = true;

    /// <summary>
    /// With hints that carry the response's length: a turn that ended in a response shorter than this many tokens (a
    /// question back, a one-line confirmation) has its answer times learned apart from longer ones (a report the user
    /// reads, or leaves). 0 turns the idea off.
    /// </summary>
    public int BriefReplyTokens { get; init; } = 100;

    /// <summary>
    /// A session silent for more than this many times its own longest gap between requests so far is taken to have
    /// ended and goes before every live session (longest silent first). 0 turns the idea off.
    /// </summary>
    public double EndedFactor { get; init; }

    /// <summary>
    /// Rank sessions by a learned return-time predictor (<c>AgentReturnPredictor</c>: the empirical distribution of
    /// the next wait per cell of the features a server has, learned online) instead of the hand-written rules: 1 for
    /// sessions in flight (no hint since their request; rule 2), 2 for sessions paused on a tool (rule 8), 3 both;
    /// 0 (the default) turns it off.
    /// </summary>
    public int LearnedReturn { get; init; }

    /// <summary>
    /// With <see cref="LearnedReturn"/>: a wait longer than this many times its cell's median counts in the predictor
    /// as one that may never end (until it does); 0 learns from ended waits only.
    /// </summary>
    public double LearnedUnendedFactor { get; init; } = 10.0;

    /// <summary>
    /// With <see cref="LearnedReturn"/>: a session in flight with a typical gap has its wait learned and predicted in
    /// units of that gap (the predictor learns the shape, the session's own gap sets the scale).
    /// </summary>
    public bool LearnedOwnScale { get; init; }


    /// <summary>
    /// With <see cref="LearnedReturn"/>: rank a predicted session by its learned chance of coming back within the
    /// tier's horizon (a moving average of how long victims had been idle), horizon ÷ chance, instead of by its median
    /// remaining wait.
    /// </summary>
    public bool LearnedHorizon { get; init; }

    /// <summary>
    /// With the adaptive order and the learned small queue: once the request-size gate's mean covers 256 requests,
    /// a tier of at least twice this many blocks whose requests are small (the gate open: the mean request at most
    /// 1/<see cref="AnonymousGateRatio"/> of the tier) is shadowed by a 1-in-R spatial sample of the keys (SHARDS,
    /// Waldspurger et al., FAST 2015) at R = capacity / this, so each shadow holds this many blocks or more; the
    /// switch reads the sampled counts scaled by R. Default 2,048; 0 (or a shut gate) keeps
    /// <see cref="AnonymousShadowBlocks"/>' rule (docs/policies/agent.md, rule 11; agent-research-log.md, session 16).
    /// </summary>
    public int AnonymousShadowFloor { get; init; } = 2048;

    /// <summary>
    /// With the adaptive order and the learned small queue: once the request-size gate's mean covers 256 requests and
    /// is open, ARC's order over blocks of no session is kept only while it is in charge; S3-FIFO's is always kept,
    /// and a switch to ARC's rebuilds it from S3-FIFO's (its main queue as ARC's blocks used again, its small queue as
    /// those used once). Default true; false keeps both orders over every block (docs/policies/agent.md, rule 11;
    /// agent-research-log.md, session 16).
    /// </summary>
    public bool AnonymousArcOnDemand { get; init; } = true;

    /// <summary>
    /// Rank sessions by hit density instead of median residual wait (LHD, Beckmann et al., NSDI 2018): the learned
    /// chance that the session returns within the tier's horizon, per second of space-time it holds its blocks until
    /// then; the session with the lowest density goes first. A bit mask of the sessions it ranks: 1 in flight (no hint
    /// since their request; their wait learned as a ratio of their own gap), 2 paused on a tool, 4 awaiting their
    /// user; 8 ranks by the rules' median wait per chance of a return within the horizon instead of time per hit; 16
    /// ranks sessions in flight so only once the server has sent a hint. 0 (the default) turns it off.
    /// </summary>
    public int HitDensity { get; init; }

    /// <summary>
    /// With <see cref="HitDensity"/>: the horizon, in units of the tier's eviction age (a moving average of the idle
    /// time of the sessions it gives up); a return later than the horizon is worth nothing.
    /// </summary>
    public double HitDensityHorizon { get; init; } = 1.0;

    /// <summary>
    /// With the adaptive order: the order in charge is its own shadow. On blocks of no session it sees the same
    /// references as its shadow would, so only the other order's shadow replays them, and the switch weighs that
    /// shadow's hits against the pool's own leading-run hits on the same key sample (about half the shadows' cost).
    /// Default true; false replays both shadows (docs/policies/agent.md, rule 11; agent-research-log.md, session 18).
    /// </summary>
    public bool AnonymousSelfShadow { get; init; } = true;

    /// <summary>
    /// Scale each session's rank (its expected wait) by (L / 1,024)^this, L the context length in blocks of its latest
    /// request, so at equal timing a long context goes first: long contexts are abandoned more often (on the WEKA
    /// sessions a turn ending over 160 K tokens goes unanswered 20–28% of the time, 8–11% at 20–80 K). 0 (the default)
    /// turns it off (docs/policies/agent.md, rule 19; agent-research-log.md, session 18).
    /// </summary>
    public double ContextLengthExponent { get; init; }

    /// <summary>
    /// With hints: a session awaiting its user whose learned answer times say it more likely never comes back (the
    /// median of the longer waits lies among the users who never answered, rule 12) is ranked at this many times its
    /// wait since the turn ended, on the scale the timing rules rank every other session by, instead of at the
    /// never-answered bucket's week, which put it before every session idle for less than a week. Default 1 (the
    /// timing rules' Lindy factor); 0 turns the idea off (docs/policies/agent.md, rule 20; agent-research-log.md, session 19).
    /// </summary>
    public double UserNeverFactor { get; init; } = 1.0;

    /// <summary>Rank live sessions by the rules' wait corrected by an offline-fitted linear model (<see cref="AgentLearnedRank"/>, rule 21); off.</summary>
    public bool LearnedRank { get; init; }

    /// <summary>Diagnostic (session 23): the rules' wait × this per state (in flight, paused, awaiting the user); (1, 1, 1) off.</summary>
    internal (double InFlight, double Paused, double User) StateScale { get; init; } = (1, 1, 1);
}
