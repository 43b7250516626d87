namespace KvTiering.Eviction;

/// <summary>
/// A learned, online predictor of when a session comes back: the empirical distribution of its next wait conditioned
/// on what a server knows when a request starts or a response ends (a conditional histogram per feature cell), and
/// from it the median residual wait of a session that has already waited a while (<see cref="AgentWaitModel"/>).
/// </summary>
/// <remarks>
/// The features, each bucketed coarsely so that cells fill within minutes of a replay: the session's own typical gap
/// (its geometric moving average, log₄ buckets), its turn count, how many blocks its previous request added to the
/// context before it (a tool result adds a few, a pasted document many, a compaction none), the context's depth,
/// whether the request answered a user's message (from hints) and whether the session is in flight (no hint since its
/// request; the wait runs from the request's start) or paused on a tool (from the response's end). Cells back off to a
/// coarser cell (the wait's kind and the session's gap) and then to the wait's kind alone until they have seen
/// <see cref="MinWaits"/> waits end. Nothing is trained offline: every count comes from waits the replay has already
/// seen end, and counts halve as in <see cref="AgentWaitModel"/>, so the model follows the workload. Waits that run
/// past <c>unendedFactor</c> × their cell's median are counted as waits that may never end (until they do), so the
/// sessions that stop without a word are in the distribution too.
/// Follows the per-category empirical reuse-time fit of "KVCache Cache in the Wild" (Wang et al., USENIX ATC 2025),
/// here with a histogram instead of an exponential (the WEKA waits are heavy-tailed, not exponential), and the idea of
/// learning a replacement rank from online features of "Learning Relaxed Belady" (Song et al., NSDI 2020).
/// </remarks>
internal sealed class AgentReturnPredictor
{
    /// <summary>Waits a cell has to have seen end before it predicts (else a coarser cell does).</summary>
    public const int MinWaits = 8;

    private const int GapBuckets = 6;     // unknown, < 4 s, < 16 s, < 64 s, < 256 s, longer
    private const int TurnBuckets = 4;    // first request, 2–3, 4–15, 16 or more
    private const int GrowthBuckets = 4;  // blocks added: none (or a shorter context), 1–9, 10–99, 100 or more
    private const int DepthBuckets = 3;   // context under 512 blocks, under 2,048, deeper
    private const int Kinds = 4;          // in flight or paused, × after a user's message or not

    private readonly AgentWaitModel?[] _fine = new AgentWaitModel?[Kinds * GapBuckets * TurnBuckets * GrowthBuckets * DepthBuckets];
    private readonly AgentWaitModel?[] _coarse = new AgentWaitModel?[Kinds * GapBuckets];
    private readonly AgentWaitModel[] _kind = [new(), new(), new(), new()];
    private readonly double _unendedFactor;
    private readonly bool _ownScale;
    private double _horizon; // moving average of victims' idle time (NoteVictimIdle); 0 before any

    /// <param name="unendedFactor">A wait longer than this many times its cell's median counts as one that may never end; 0: never.</param>
    /// <param name="ownScale">
    /// A session in flight with a typical gap has its wait learned and predicted in units of that gap (the cell learns
    /// the shape of the wait, the session sets its scale), not in seconds.
    /// </param>
    public AgentReturnPredictor(double unendedFactor, bool ownScale)
    {
        _unendedFactor = unendedFactor;
        _ownScale = ownScale;
    }

    /// <summary>The feature cell of a wait (see the remarks), packed into one number.</summary>
    /// <param name="paused">The session is waiting on a tool (its wait runs from the response's end), not in flight.</param>
    /// <param name="afterUser">The request answered a user's message, not a tool result.</param>
    /// <param name="gap">The session's typical gap in seconds (NaN before it has one).</param>
    /// <param name="requests">Requests the session has made, this one included.</param>
    /// <param name="added">Blocks the previous request went deeper than the one before it (negative or 0: none).</param>
    /// <param name="depth">The deepest block the previous request touched.</param>
    public static int Cell(bool paused, bool afterUser, double gap, int requests, int added, int depth)
    {
        int kind = (paused ? 2 : 0) | (afterUser ? 1 : 0);
        int g = double.IsNaN(gap) ? 0 : gap < 4 ? 1 : gap < 16 ? 2 : gap < 64 ? 3 : gap < 256 ? 4 : 5;
        int t = requests <= 1 ? 0 : requests < 4 ? 1 : requests < 16 ? 2 : 3;
        int a = added <= 0 ? 0 : added < 10 ? 1 : added < 100 ? 2 : 3;
        int d = depth < 512 ? 0 : depth < 2048 ? 1 : 2;
        return (((((((kind * GapBuckets) + g) * TurnBuckets) + t) * GrowthBuckets) + a) * DepthBuckets) + d;
    }

    /// <summary>A wait of <paramref name="seconds"/> in <paramref name="cell"/> ended.</summary>
    public void Observe(int cell, double seconds)
    {
        Fine(cell).Observe(seconds);
        Coarse(cell).Observe(seconds);
        _kind[KindOf(cell)].Observe(seconds);
    }

    /// <summary>Expected remaining wait of a wait in <paramref name="cell"/> that has lasted <paramref name="waited"/> seconds; NaN before any cell it backs off to has seen <see cref="MinWaits"/> waits.</summary>
    public double Remaining(int cell, double waited)
    {
        AgentWaitModel? model = Model(cell);
        return model is null ? double.NaN : model.Remaining(waited);
    }

    /// <summary>
    /// Whether a wait in <paramref name="cell"/> that has lasted <paramref name="waited"/> seconds has run past
    /// unendedFactor × its cell's median and should be counted as one that may never end.
    /// </summary>
    public bool Overdue(int cell, double waited)
    {
        if (_unendedFactor <= 0)
        {
            return false;
        }

        AgentWaitModel? model = Model(cell);
        return model is not null && waited > _unendedFactor * model.Remaining(0);
    }

    /// <summary>Counts an overdue wait (<see cref="Overdue"/>) as one that may never end, in every model of its cell.</summary>
    public void ObserveUnended(int cell)
    {
        Fine(cell).ObserveUnended();
        Coarse(cell).ObserveUnended();
        _kind[KindOf(cell)].ObserveUnended();
    }

    /// <summary>Takes back one <see cref="ObserveUnended"/> of <paramref name="cell"/>: the wait has ended after all.</summary>
    public void Retract(int cell)
    {
        Fine(cell).Retract();
        Coarse(cell).Retract();
        _kind[KindOf(cell)].Retract();
    }

    private AgentWaitModel? Model(int cell)
    {
        AgentWaitModel? model = _fine[cell];
        if (model is not null && model.Observed >= MinWaits)
        {
            return model;
        }

        model = _coarse[cell / (TurnBuckets * GrowthBuckets * DepthBuckets)];
        if (model is not null && model.Observed >= MinWaits)
        {
            return model;
        }

        model = _kind[KindOf(cell)];
        return model.Observed >= MinWaits ? model : null;
    }

    private static int KindOf(int cell) => cell / (GapBuckets * TurnBuckets * GrowthBuckets * DepthBuckets);

    private AgentWaitModel Fine(int cell) => _fine[cell] ??= new AgentWaitModel();

    private AgentWaitModel Coarse(int cell) => _coarse[cell / (TurnBuckets * GrowthBuckets * DepthBuckets)] ??= new AgentWaitModel();

    /// <summary>
    /// The session starts a request at <paramref name="now"/>: the waits it was in (since its previous request, and
    /// since its tool call when it was paused) have ended. Call before the session's fields move on to the new request.
    /// </summary>
    public void ObserveReturn(ref AgentSession session, double now, bool paused)
    {
        if (session.ReturnUnended)
        {
            Retract(session.UnendedCell);
            session.ReturnUnended = false;
        }

        double unit = Unit(ref session, paused: false);
        Observe(CellOf(ref session, paused: false), (now - session.LastRequest) / unit);
        if (paused)
        {
            Observe(CellOf(ref session, paused: true), now - session.HintAt);
        }
    }

    /// <summary>
    /// The expected remaining wait of a session in flight (from its request's start) or paused on a tool (from its
    /// response's end), or NaN while the predictor has too few waits; an overdue wait is counted as unended on the way.
    /// </summary>
    /// <remarks>
    /// With <paramref name="overHorizon"/> and a horizon known (<see cref="NoteVictimIdle"/>: how long the tier keeps a session), the
    /// session is ranked by its chance of coming back within the horizon instead: horizon ÷ that probability, the
    /// expected time per return it pays back in a horizon (a session sure to return ranks at the horizon, one unlikely
    /// to, far later), as LRB relaxes Belady to "not reused within the boundary" (Song et al., NSDI 2020).
    /// </remarks>
    public double Predict(ref AgentSession session, double now, bool paused, bool overHorizon = false)
    {
        int cell = CellOf(ref session, paused);
        double unit = Unit(ref session, paused);
        double waited = (now - (paused ? session.HintAt : session.LastRequest)) / unit;
        if (!session.ReturnUnended && Overdue(cell, waited))
        {
            ObserveUnended(cell);
            session.ReturnUnended = true;
            session.UnendedCell = cell;
        }

        double horizon = _horizon;
        if (overHorizon && horizon > 0)
        {
            AgentWaitModel? model = Model(cell);
            double p = model is null ? double.NaN : model.EndsWithin(waited, horizon / unit);
            return double.IsNaN(p) ? p : horizon / Math.Max(p, AgentWaitModel.MinChance);
        }

        return Remaining(cell, waited) * unit;
    }

    /// <summary>
    /// The tier gave up a session idle for <paramref name="seconds"/>: the horizon is a moving average of these (the
    /// eviction age, so it follows the tier's size and load).
    /// </summary>
    public void NoteVictimIdle(double seconds) =>
        _horizon = _horizon <= 0 ? seconds : (HorizonSmoothing * seconds) + ((1 - HorizonSmoothing) * _horizon);

    /// <summary>Weight of the newest victim's idle time in the horizon.</summary>
    private const double HorizonSmoothing = 0.01;

    /// <summary>
    /// The unit a wait is counted in: seconds, or with own scale a session in flight's typical gap divided by
    /// <see cref="ScaledGap"/> (so a gap-long wait lands in a bucket of <see cref="AgentWaitModel"/>'s resolution).
    /// </summary>
    private double Unit(ref AgentSession s, bool paused) =>
        _ownScale && !paused && !double.IsNaN(s.Gap) && s.Gap > 0 ? s.Gap / ScaledGap : 1.0;

    /// <summary>With own scale, a wait as long as the session's typical gap counts as this many units.</summary>
    private const double ScaledGap = 64;

    /// <summary>
    /// The cell of the session's current wait. The depth features are the previous request's (how many blocks it
    /// added, how deep it went): they are fixed when a request starts, so a request's cell does not move while its
    /// blocks arrive (the policy sees a request only as the touches of its blocks).
    /// </summary>
    private static int CellOf(ref AgentSession s, bool paused) =>
        Cell(paused, s.AfterUser, s.Gap, s.Requests, s.PrevAdded, s.PrevDepth);
}
