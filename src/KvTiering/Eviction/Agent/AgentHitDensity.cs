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
    /// <summary>The smallest chance of a return within the horizon that <see cref="PerChance"/> divides by.</summary>
    private const double MinChance = 1e-3;

    /// <summary>A ratio of one typical gap is this many of the wait model's seconds (its first bucket ends at 1/16).</summary>
    private const double RatioUnit = 8.0;

    /// <summary>Weight of the newest sample in the eviction age.</summary>
    private const double AgeSmoothing = 0.25;

    /// <summary>A sample of the eviction age spans at least this share of the tier's capacity in evictions.</summary>
    private const int SampleShare = 4;

    private readonly AgentWaitModel _ratios = new(); // a session's next gap ÷ its typical gap before it, × RatioUnit
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
        double.IsNaN(chance) ? double.NaN : wait / Math.Max(chance, MinChance);
}
