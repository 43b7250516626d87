namespace KvTiering.Eviction;

/// <summary>
/// What the agent policy needs to rank sessions by hit density (<see cref="AgentPolicyOptions.HitDensity"/>): the
/// tier's horizon (how long it keeps what it does not need, measured as the idle time of the sessions it gives up)
/// and, for sessions in flight, the learned shape of a session's next gap in units of its own typical gap.
/// </summary>
/// <remarks>
/// Beckmann, Chen and Cidon, "LHD: Improving Cache Hit Rate by Maximizing Hit Density" (NSDI 2018): evict what has
/// the fewest expected hits per unit of space-time, hits counted only before the candidate would be evicted anyway.
/// LHD learns its distributions over ages from the cache's own hits and evictions; here the hits are a session's
/// returns (a returning request reuses the session's blocks, so per block the density does not depend on the
/// session's size), their distributions are the policy's wait models (tools, users, and the in-flight gaps learned
/// here), and "evicted anyway" is a horizon of the tier's current eviction age (its capacity over its eviction rate,
/// Little's law), as LRB (Song et al., NSDI 2020) relaxes Belady to "not reused within the boundary".
/// </remarks>
internal sealed class AgentHitDensity
{
    /// <summary><see cref="AgentPolicyOptions.HitDensity"/>'s bits: sessions in flight, paused on a tool, awaiting their user; the median form.</summary>
    private const int InFlightSessions = 1, PausedSessions = 2, UserSessions = 4, MedianForm = 8, InFlightIfHinted = 16;

    /// <summary>A ratio of one typical gap is this many of the wait model's seconds (its first bucket ends at 1/16).</summary>
    private const double RatioUnit = 8.0;

    /// <summary>Weight of the newest sample in the eviction age.</summary>
    private const double AgeSmoothing = 0.25;

    /// <summary>A sample of the eviction age spans at least this share of the tier's capacity in evictions.</summary>
    private const int SampleShare = 4;

    private readonly AgentWaitModel _ratios = new(); // a session's next gap ÷ its typical gap before it, × RatioUnit
    private bool _hinted; // the server has sent a hint (InFlightIfHinted)
    private double _age; // the tier's mean residence time, seconds; 0 before a sample
    private double _markTime = double.NaN; // when the current sample began
    private int _evicted; // evictions since then

    /// <summary>
    /// The tier's eviction age: how long a block stays in it, by Little's law its capacity over the rate at which it
    /// evicts (Che's characteristic time for LRU); 0 before the first sample. Not the idle time of the victims: the
    /// policy evicts the session just served when the tier thrashes (rule 2), so victims are young while the sessions
    /// it keeps stay for long.
    /// </summary>
    public double EvictionAge => _age;

    /// <summary>The server told how a response ended: with bit 16, sessions in flight are ranked by density from now on.</summary>
    public void NoteHint() => _hinted = true;

    /// <summary>Whether the server has sent a hint (the learned ranker then uses its model fitted with hints).</summary>
    public bool Hinted => _hinted;

    /// <summary>The tier gave up a block.</summary>
    public void NoteEviction() => _evicted++;

    /// <summary>At <paramref name="now"/>, in a tier of <paramref name="capacity"/> blocks: closes a sample of the eviction age once it spans enough evictions.</summary>
    public void Tick(double now, int capacity)
    {
        if (double.IsNaN(_markTime))
        {
            _markTime = now;
            _evicted = 0;
            return;
        }

        if (_evicted < Math.Max(1, capacity / SampleShare) || now <= _markTime)
        {
            return;
        }

        double sample = capacity * (now - _markTime) / _evicted;
        _age = _age <= 0 ? sample : (AgeSmoothing * sample) + ((1 - AgeSmoothing) * _age);
        _markTime = now;
        _evicted = 0;
    }

    /// <summary>A session whose typical gap was <paramref name="typical"/> came back after <paramref name="gap"/>.</summary>
    public void ObserveGap(double gap, double typical)
    {
        if (typical > 0 && !double.IsNaN(typical))
        {
            _ratios.Observe(RatioUnit * gap / typical);
        }
    }

    /// <summary>
    /// Seconds of space-time per hit of a session in flight, idle for <paramref name="idle"/> with a typical gap of
    /// <paramref name="typical"/>, over <paramref name="horizon"/> seconds: the learned ratio distribution rescaled to
    /// the session's own gap (the workload sets the shape, the session its pace). NaN until enough gaps have ended.
    /// </summary>
    public double InFlight(double idle, double typical, double horizon)
    {
        if (_ratios.Observed < AgentUserWaits.MinWaits || !(typical > 0))
        {
            return double.NaN;
        }

        double unit = typical / RatioUnit;
        return unit * _ratios.TimePerHit(idle / unit, horizon / unit);
    }

    /// <summary>
    /// The chance that a session in flight, idle for <paramref name="idle"/> with a typical gap of
    /// <paramref name="typical"/>, is back within <paramref name="horizon"/> seconds; NaN until enough gaps have ended.
    /// </summary>
    public double InFlightChance(double idle, double typical, double horizon)
    {
        if (_ratios.Observed < AgentUserWaits.MinWaits || !(typical > 0))
        {
            return double.NaN;
        }

        double unit = typical / RatioUnit;
        return _ratios.Chance(idle / unit, horizon / unit);
    }

    /// <summary>
    /// A median remaining wait per return within the horizon (<see cref="AgentPolicyOptions.HitDensity"/>'s bit 8):
    /// the wait the rules rank by, divided by the chance that it ends within the horizon, so a session likely back in
    /// time keeps its rank and one unlikely to be is pushed out. NaN when the chance is unknown.
    /// </summary>
    public static double PerChance(double wait, double chance) =>
        double.IsNaN(chance) ? double.NaN : wait / Math.Max(chance, AgentWaitModel.MinChance);

    /// <summary>
    /// The rank of a session awaiting its user, paused on a tool, or else in flight, whose rules' wait is
    /// <paramref name="rule"/>: where <see cref="AgentPolicyOptions.HitDensity"/> names its kind and the tier has an
    /// eviction age, its seconds of space-time per hit within the horizon (or, bit 8, <paramref name="rule"/> per chance
    /// of a return within it); otherwise, or while its model has not learned enough, <paramref name="rule"/>.
    /// </summary>
    public double Wait(ref AgentSession session, double rule, double now, bool paused, bool awaitingUser,
        AgentPolicyOptions options, AgentWaitModel tools, AgentUserWaits users)
    {
        int kind = awaitingUser ? UserSessions : paused ? PausedSessions : InFlightSessions;
        double horizon = options.HitDensityHorizon * _age;
        if ((options.HitDensity & kind) == 0 || !(horizon > 0)
            || (kind == InFlightSessions && (options.HitDensity & InFlightIfHinted) != 0 && !_hinted))
        {
            return rule;
        }

        bool byMedian = (options.HitDensity & MedianForm) != 0;
        double density;
        if (awaitingUser)
        {
            density = users.TimePerHit(ref session, now, horizon, byMedian);
        }
        else if (paused)
        {
            if (!options.ToolWaitModel || tools.Observed < AgentUserWaits.MinWaits)
            {
                return rule; // the rules cap the wait at half the session's gap until tools have returned
            }

            double waited = now - session.HintAt;
            density = byMedian ? PerChance(rule, tools.Chance(waited, horizon)) : tools.TimePerHit(waited, horizon);
        }
        else
        {
            // The session's own gap scales the learned shape of gaps (none yet on probation: the rules rank it).
            double idle = now - session.LastRequest;
            density = double.IsNaN(session.Gap) ? double.NaN
                : byMedian ? PerChance(rule, InFlightChance(idle, session.Gap, horizon))
                : InFlight(idle, session.Gap, horizon);
        }

        return double.IsNaN(density) ? rule : density;
    }
}
