using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// How long the users of the agent policy's sessions take to answer, and the expected remaining wait of a session
/// awaiting its user (rules 8 and 12–15 of docs/policies/agent.md): the answer times learned from the end of each
/// turn, everyone's and per kind of turn, the users who never answer counted as waits that never end, and a
/// session's own users' pace.
/// </summary>
/// <remarks>
/// The censoring of unanswered waits follows survival analysis (Kaplan and Meier, JASA 1958: a wait still running is
/// known to be at least that long); the per-kind models are the per-category reuse times of "KVCache Cache in the
/// Wild" (Wang et al., USENIX ATC 2025), kept as histograms because these waits are heavy-tailed.
/// </remarks>
internal sealed class AgentUserWaits(AgentPolicyOptions options)
{
    /// <summary>Waits a model has to have seen end before it ranks sessions.</summary>
    public const int MinWaits = 8;

    private readonly AgentWaitModel _all = new(); // how long users take to answer, from the end of the turn
    private readonly AgentWaitModel[] _kinds = [new(), new(), new(), new()]; // per kind of turn (Kind)
    private double _typical = double.NaN; // geometric moving average of the time from a request to its user's answer
    private double _logWait; // moving average of the logarithm of every user's answer time
    private long _answers;

    /// <summary>
    /// The expected remaining wait of a session awaiting its user at <paramref name="now"/>. Once users have
    /// answered, it is read from their answer times: it grows with the time already waited (heavy tail), so a user
    /// away longest goes first. Before that, these go first after closed sessions, longest idle first.
    /// </summary>
    public double Remaining(ref AgentSession session, double now)
    {
        double waited = now - session.LastRequest;
        if (Learned)
        {
            double sinceTurn = now - session.HintAt;
            NoteUnanswered(ref session, sinceTurn);
            return OwnRemaining(in session, sinceTurn);
        }

        return double.IsNaN(_typical) || !options.LearnUserGap
            ? 1e12 + waited
            : Math.Max(_typical - waited, options.LindyFactor * waited);
    }

    /// <summary>
    /// Seconds of space-time per hit of a session awaiting its user over <paramref name="horizon"/> seconds (hit
    /// density, <see cref="AgentWaitModel.TimePerHit"/>), from its kind's answer times with the users who never answer
    /// in them (or, <paramref name="byMedian"/>, the median remaining wait per chance of an answer within the horizon);
    /// NaN before users have answered (the caller ranks it by <see cref="Remaining"/> then).
    /// </summary>
    public double TimePerHit(ref AgentSession session, double now, double horizon, bool byMedian)
    {
        if (!Learned)
        {
            return double.NaN;
        }

        double sinceTurn = now - session.HintAt;
        NoteUnanswered(ref session, sinceTurn);
        AgentWaitModel kind = Kind(in session);
        AgentWaitModel waits = kind.Observed >= MinWaits ? kind : _all;
        int n = session.UserAnswers;
        double scale = options.OwnUserPrior <= 0 || n == 0 ? 1 : Math.Exp(n / (n + options.OwnUserPrior) * (session.UserLogWait - _logWait));
        double waited = sinceTurn / scale;
        return byMedian
            ? AgentHitDensity.PerChance(scale * waits.Remaining(waited), waits.Chance(waited, horizon / scale))
            : scale * waits.TimePerHit(waited, horizon / scale);
    }

    private bool Learned
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => options.UserWaitModel && options.LearnUserGap && _all.Observed >= MinWaits;
    }

    /// <summary>
    /// Unanswered for many typical answer times: counted as a wait that may never end, so the learned distribution
    /// has the users who never come back in it, not only those who did.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NoteUnanswered(ref AgentSession session, double sinceTurn)
    {
        if (options.UnansweredFactor > 0 && !session.Unanswered && sinceTurn > options.UnansweredFactor * _typical)
        {
            session.Unanswered = true;
            _all.ObserveUnended();
            Kind(in session).ObserveUnended();
        }
    }

    /// <summary>
    /// The user of a session awaiting its user answered at <paramref name="now"/> (its next request): learn how long
    /// users take (geometric average, heavy tails), the whole distribution of answer times from the end of the turn,
    /// and this session's own pace; an answer that had been counted as never coming is taken back first.
    /// </summary>
    public void Answered(ref AgentSession session, double now)
    {
        double logWait = Math.Log(Math.Max(now - session.LastRequest, 1e-3));
        _typical = double.IsNaN(_typical) ? Math.Exp(logWait) : Math.Exp((0.05 * logWait) + (0.95 * Math.Log(_typical)));
        double answer = now - session.HintAt;
        AgentWaitModel kind = Kind(in session);
        if (session.Unanswered)
        {
            _all.Retract();
            kind.Retract();
            session.Unanswered = false;
        }

        _all.Observe(answer);
        kind.Observe(answer);
        double log = Math.Log(Math.Max(answer, 0.5));
        _logWait = _answers++ == 0 ? log : (0.05 * log) + (0.95 * _logWait);
        int n = ++session.UserAnswers;
        session.UserLogWait += (log - session.UserLogWait) / n;
    }

    /// <summary>
    /// A session's user answers its own way: one who answered in seconds before is likely at the keyboard, one who took
    /// an hour likely away. The remaining wait is the learned answer-time distribution's, rescaled by how much
    /// longer or shorter this session's answers have been than everyone's (geometric means), shrunk towards everyone's
    /// while it has few answers. Where the distribution says the user more likely never answers (the median lies in the
    /// never-answered bucket, a week away), <see cref="AgentPolicyOptions.UserNeverFactor"/> ranks the session at that
    /// many times its wait instead, the scale every session without a hint is ranked on (rule 20).
    /// </summary>
    private double OwnRemaining(in AgentSession session, double waited)
    {
        int n = session.UserAnswers;
        AgentWaitModel kind = Kind(in session);
        AgentWaitModel waits = kind.Observed >= MinWaits ? kind : _all;
        double scale = options.OwnUserPrior <= 0 || n == 0 ? 1 : Math.Exp(n / (n + options.OwnUserPrior) * (session.UserLogWait - _logWait));
        double own = waited / scale;
        if (options.UserNeverFactor > 0 && waits.MostlyUnended(own))
        {
            return scale * options.UserNeverFactor * own; // rule 20: gone for good, as likely as not, ranked on the timing rules' scale
        }

        return scale * waits.Remaining(own);
    }

    /// <summary>
    /// The answer-time model of the session's kind of turn: whether the turn replied to the user's own message (not a
    /// tool result) and whether its last response was brief, each only where its option is on. Used once it has seen
    /// enough answers; everyone's before.
    /// </summary>
    private AgentWaitModel Kind(in AgentSession session) =>
        _kinds[(options.UserInputClasses && session.AfterUser ? 1 : 0) | (session.BriefReply ? 2 : 0)];
}
