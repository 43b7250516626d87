namespace KvTiering.Eviction;

/// <summary>
/// One session slot of <see cref="AgentSessionTable"/>: its block list, request boundaries, gap estimate and hint
/// state. Slots live in one array grown in one place, so a new field cannot be missed by a resize, and a new session's
/// record starts in one place (<see cref="Open"/>).
/// </summary>
internal struct AgentSession
{
    /// <summary>Rule 19: the context length (blocks) at which a session's rank is unscaled.</summary>
    private const double ReferenceLength = 1024;

    /// <summary>Rule 19: shorter contexts are scaled as this many blocks (a session's first touches, a side request).</summary>
    private const int MinLength = 16;

    /// <summary>Rule 19: ranks from here up (closed sessions) are not scaled.</summary>
    private const double MaxScaledRank = 1e12;

    /// <summary>The session's id.</summary>
    public long Id;

    /// <summary>Oldest block of the session's list in the tier (-1 when empty).</summary>
    public int Head;

    /// <summary>Newest block of the session's list (-1 when empty).</summary>
    public int Tail;

    /// <summary>Blocks the session holds in the tier.</summary>
    public int Count;

    /// <summary>When the session's latest request started.</summary>
    public double LastRequest;

    /// <summary>When the session last touched a block.</summary>
    public double LastTouch;

    /// <summary>The session's typical gap between requests.</summary>
    public double Gap;

    /// <summary>Requests seen.</summary>
    public int Requests;

    /// <summary>The longest gap between two of the session's requests so far (unclipped), or 0 before any.</summary>
    public double MaxGap;

    /// <summary>Normal, paused, closed or awaiting its user (<see cref="AgentSessionState"/>).</summary>
    public byte State;

    // The diagnostic's fields follow State so that OracleOwnSeen shares its padding: the record is no larger than
    // before OracleFactor (the victim scan reads every resident session's record).

    /// <summary>Diagnostic mode only: the latest request has touched a block of the session's own list (<see cref="AgentOracleRank.NextRequest"/>).</summary>
    public bool OracleOwnSeen;

    /// <summary>Oracle next use (diagnostic mode only).</summary>
    public double OracleNext;

    /// <summary>Diagnostic mode only: the noisy oracle's factor exp(σ·z) for the latest request (1 without noise).</summary>
    public double OracleFactor;

    /// <summary>Start of the request before the latest one.</summary>
    public double PrevRequest;

    /// <summary>Whether the session has come back to blocks its previous request skipped.</summary>
    public bool Revives;

    /// <summary>Deepest block the latest request has touched.</summary>
    public int RequestDepth;

    /// <summary>Shallowest block the latest request has touched.</summary>
    public int RequestTop;

    /// <summary>When the latest hint arrived (its response ended).</summary>
    public double HintAt;

    /// <summary>Whether the session is sampled into the miniature caches.</summary>
    public bool Sampled;

    /// <summary>Mean logarithm of this session's own user answer times (from the end of its turn), or 0 before any.</summary>
    public double UserLogWait;

    /// <summary>How many of this session's user answers <see cref="UserLogWait"/> averages.</summary>
    public int UserAnswers;

    /// <summary>This session's unanswered wait for its user counts in the answer times as one that never ends.</summary>
    public bool Unanswered;

    /// <summary>The latest request answered a user's message (it followed the user's answer or started the session), not a tool result.</summary>
    public bool AfterUser;

    /// <summary>The response that ended its turn was brief (under <see cref="AgentPolicyOptions.BriefReplyTokens"/>), as the server told.</summary>
    public bool BriefReply;

    /// <summary>How deep the request before the latest one went (-1 before any).</summary>
    public int PrevDepth;

    /// <summary>How many blocks the request before the latest one went deeper than the one before it (0 before any).</summary>
    public int PrevAdded;

    /// <summary>This session's current wait counts in the return predictor as one that may never end (in <see cref="UnendedCell"/>).</summary>
    public bool ReturnUnended;

    /// <summary>The return predictor's cell that <see cref="ReturnUnended"/> was counted in.</summary>
    public int UnendedCell;

    /// <summary>The latest request touched a block at <paramref name="depth"/>: its deepest so far, maybe.</summary>
    public void Reach(int depth)
    {
        if (depth > RequestDepth)
        {
            RequestDepth = depth;
        }
    }

    /// <summary>
    /// The latest request's first touch, at <paramref name="depth"/>: a burst starts at its shallowest block, so only
    /// its first touch can lower <see cref="RequestTop"/>.
    /// </summary>
    public void ReachTop(int depth)
    {
        if (depth < RequestTop)
        {
            RequestTop = depth;
        }
    }

    /// <summary>
    /// Rule 19: <paramref name="rank"/> × (L / 1,024)^<paramref name="exponent"/>, L the context length of the latest
    /// request in blocks, so at equal timing a long context goes first (long contexts are abandoned more often). Not
    /// cached in the record: the option is off by default, and the default path should not carry its fields.
    /// </summary>
    public readonly double ScaledByLength(double rank, double exponent) =>
        rank <= 0 || rank >= MaxScaledRank
            ? rank
            : rank * Math.Pow(Math.Max(RequestDepth + 1, MinLength) / ReferenceLength, exponent);

    /// <summary>
    /// Starts the record of a new session (a free or recycled slot) whose first request starts at <paramref name="now"/>.
    /// A recycled slot holds nothing, so its bit in the slots' holding set is clear.
    /// </summary>
    public void Open(long id, double now, bool sampled)
    {
        Id = id;
        Head = Tail = -1;
        RequestDepth = -1;
        RequestTop = int.MaxValue;
        Count = 0;
        LastRequest = now;
        PrevRequest = double.NegativeInfinity;
        Revives = false;
        LastTouch = now;
        Gap = double.NaN;
        Requests = 1;
        MaxGap = 0;
        State = AgentSessionState.Normal;
        HintAt = now;
        Sampled = sampled;
        UserLogWait = 0;
        UserAnswers = 0;
        Unanswered = false;
        AfterUser = true; // a session's first request carries its user's message
        BriefReply = false;
        PrevDepth = -1;
        PrevAdded = 0;
        ReturnUnended = false;
        OracleFactor = 1.0;
    }
}
