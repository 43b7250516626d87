using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// The ranking of the sessions of <see cref="AgentSessionTable"/> as victims: each session's expected wait (the rules,
/// or hit density), the dead-branch rule, and the victim session, cached per moment since scores only change with time
/// and touches.
/// </summary>
internal sealed class AgentSessionRanking
{
    private const int Shared = AgentSessionSlots.Shared;

    private readonly TierView _tier;
    private readonly AgentPolicyOptions _options;
    private readonly AgentSessionSlots _slots;
    private readonly AgentBlockLists _lists;
    private readonly AgentSessionRequests _requests;
    private readonly AgentWaitModel _toolWaits;
    private readonly AgentUserWaits _users;
    private readonly AgentReturnPredictor? _returns;
    private readonly AgentRuleWait _rules;
    private readonly bool _scaled; // the per-state scale diagnostic is on (AgentPolicyOptions.StateScale)
    private readonly AgentHitDensity _density;
    private readonly AgentLearnedWeights? _learned; // the learned ranker's correction (rank=learned), or null
    private readonly AgentOracle _oracle; // the ceiling diagnostic (replay only)
    private int _victim = -1;
    private double _victimScore;
    private double _victimNow = double.NaN;

    public AgentSessionRanking(TierView tier, AgentPolicyOptions options, AgentSessionSlots slots, AgentBlockLists lists, AgentSessionRequests requests)
    {
        _tier = tier;
        _options = options;
        _slots = slots;
        _lists = lists;
        _requests = requests;
        _toolWaits = requests.ToolWaits;
        _users = requests.Users;
        _returns = requests.Returns;
        _density = requests.Density;
        _learned = options.LearnedRank ? new AgentLearnedWeights(_density) : null;
        SharedLimit = Math.Max(1, (int)(tier.Capacity * options.SharedShare));
        _oracle = new AgentOracle(tier, options, lists);
        _rules = new AgentRuleWait(options, lists, requests);
        _scaled = options.StateScale != (1, 1, 1);
    }

    /// <summary>Shared blocks the shared segment holds before it goes first.</summary>
    public int SharedLimit { get; }

    /// <summary>The cached victim session, or -1 when it must be chosen again.</summary>
    public int Victim => _victim;

    /// <summary>How long a request's touches count as one request.</summary>
    public double RequestWindowSeconds => _options.RequestWindowSeconds;

    /// <summary>The ordering changed, or a session's state did: the victim is chosen again.</summary>
    public void Invalidate() => _victim = -1;

    /// <summary>A burst touched <paramref name="slot"/>'s block, now in <paramref name="target"/>'s list: a victim among them is ranked again.</summary>
    public void Touched(int slot, int target)
    {
        if (slot == _victim || target == _victim)
        {
            _victim = -1;
        }
    }

    /// <summary>
    /// A block of <paramref name="owner"/> left the tier (<paramref name="stale"/>: older than its session's latest
    /// request). A victim that holds nothing now, or (<see cref="AgentPolicyOptions.RecheckVictim"/>) whose stale
    /// blocks are gone, is ranked again: its rank may have rested on them (dead-branch rule).
    /// </summary>
    public void Removed(int owner, bool stale)
    {
        if (owner != _victim || _oracle.ByBlock)
        {
            _victim = _oracle.ByBlock ? -1 : _victim; // diagnostic by block: the victim's rank was the block just removed
            return;
        }

        ref AgentSession s = ref _slots[owner];
        if (s.Count == 0 || (_options.RecheckVictim && (owner == Shared ? s.Count == SharedLimit : stale && !_lists.HasStaleFront(ref s))))
        {
            _victim = -1;
        }
    }

    /// <summary>
    /// The session expected back last (or, unless <paramref name="predict"/>, the one idle longest); cached per moment,
    /// since scores only change with time and touches.
    /// </summary>
    public int VictimSession(double now, bool predict)
    {
        AgentSession[] sessions = _slots.Records;
        if (_victim >= 0 && (now - _victimNow) <= _options.RequestWindowSeconds && sessions[_victim].Count > 0)
        {
            return _victim;
        }

        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int s = _slots.NextHolding(0); s >= 0; s = _slots.NextHolding(s + 1))
        {
            double score = Score(s, ref sessions[s], now, predict);
            if (score > bestScore)
            {
                bestScore = score;
                best = s;
            }
        }

        if (best > Shared && _options.LearnedHorizon)
        {
            _returns?.NoteVictimIdle(now - sessions[best].LastTouch); // the tier's horizon (AgentReturnPredictor)
        }

        if (_options.HitDensity != 0)
        {
            _density.Tick(now, _tier.Capacity); // the eviction age (hit density's horizon)
        }

        Dump(now, predict, best);
        _victim = best;
        _victimScore = bestScore;
        _victimNow = now;
        return best;
    }

    /// <summary>A touched session's score changed: it may now be the victim, or no longer be.</summary>
    public void Rescore(int slot, double now, bool predict)
    {
        if (_victim < 0)
        {
            return;
        }

        if (slot == _victim)
        {
            _victim = -1;
            return;
        }

        double score = Score(slot, ref _slots[slot], now, predict);
        if (score > _victimScore)
        {
            _victim = slot;
            _victimScore = score;
        }
    }

    /// <summary>
    /// How a miniature ranks a sampled session: its expected wait, or its idle time; a closed session first in both,
    /// as the tier ranks it under either ordering (<see cref="RuleWait"/>).
    /// </summary>
    public double MiniatureScore(int slot, double now, bool predict) =>
        predict ? ExpectedWait(slot, ref _slots[slot], now, predict: true)
        : _slots[slot].State == AgentSessionState.Closed ? double.MaxValue
        : now - _slots[slot].LastRequest;

    /// <summary>
    /// The session's rank as a victim: its expected wait, or, when its latest request skipped some of its blocks (a
    /// diverged tail, a compacted context), those blocks' own: they are dead unless the session is one that branches
    /// back, so they wait StaleAging × their idle time (only their idle time, as under LRU, for a session seen to
    /// come back to skipped blocks).
    /// </summary>
    private double Score(int slot, ref AgentSession s, double now, bool predict)
    {
        double score = ExpectedWait(slot, ref s, now, predict);
        if (slot != Shared && _options.StaleAging > 0 && !_oracle.ByBlock && _lists.HasSkippedFront(ref s))
        {
            double factor = s.Revives ? 1.0 : _options.StaleAging;
            score = Math.Max(score, factor * (now - _lists.TouchedAt(s.Head)));
        }

        if (_options.ContextLengthExponent != 0 && slot != Shared && s.Id != 0)
        {
            score = s.ScaledByLength(score, _options.ContextLengthExponent); // rule 19
        }

        return score;
    }

    /// <summary>
    /// How long until the session is expected back, as the rules rank it (<see cref="RuleWait"/>) or, for the kinds of
    /// session <see cref="AgentPolicyOptions.HitDensity"/> names, its seconds of space-time per hit within the horizon.
    /// </summary>
    private double ExpectedWait(int slot, ref AgentSession s, double now, bool predict) =>
        _options.HitDensity == 0 ? RuleWait(slot, ref s, now, predict) : DensityWait(slot, ref s, now, predict);

    /// <summary>Hit density (rule 18, <see cref="AgentHitDensity.Wait"/>) where it ranks the session; the rules' wait elsewhere.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private double DensityWait(int slot, ref AgentSession s, double now, bool predict)
    {
        double rule = RuleWait(slot, ref s, now, predict);
        byte state = s.State;
        bool predicted = predict && _options.PredictReturn && !_options.OracleDiagnostic && _options.EndedFactor <= 0 && _returns is null;
        return slot == Shared || state == AgentSessionState.Closed || _options.OracleDiagnostic || (state != AgentSessionState.AwaitingUser && !predicted) ? rule
            : _density.Wait(ref s, rule, now, state == AgentSessionState.Paused, state == AgentSessionState.AwaitingUser, _options, _toolWaits, _users);
    }

    /// <summary>
    /// How long until the session is expected back: the rules' estimate (<see cref="RulesWait"/>), corrected for a live
    /// session by the learned ranker when it is on (<see cref="AgentPolicyOptions.LearnedRank"/>).
    /// </summary>
    private double RuleWait(int slot, ref AgentSession s, double now, bool predict)
    {
        double rule = RulesWait(slot, ref s, now, predict);
        return _learned is null || slot == Shared || !predict || !_options.PredictReturn || s.State == AgentSessionState.Closed
            ? rule
            : _learned.Rank(ref s, now, rule, _requests.Typical(ref s));
    }

    /// <summary>The training data of the learned ranker, in a build with KVTIER_RANKDUMP only (<see cref="AgentRankDump"/>).</summary>
    [Conditional("KVTIER_RANKDUMP")]
    private void Dump(double now, bool predict, int best)
    {
        if (AgentRankDump.Due(_tier.TierIndex, predict))
        {
            AgentRankDump.Decision(_slots, _requests, best, now, s => RulesWait(s, ref _slots[s], now, predict), s => Score(s, ref _slots[s], now, predict),
                n => n >= long.MaxValue ? double.PositiveInfinity : _oracle.Clock?.SecondsUntil(n, now) ?? double.NaN);
        }
    }

    /// <summary>
    /// How long until the session is expected back: the shared segment by its idle time, a closed session first, a
    /// live one by the rules (<see cref="AgentRuleWait"/>) or, in the diagnostic, by the oracle.
    /// </summary>
    private double RulesWait(int slot, ref AgentSession s, double now, bool predict)
    {
        if (_oracle.ByBlock && (slot == Shared ? s.Count <= SharedLimit : s.State != AgentSessionState.Closed))
        {
            return _oracle.BlockRank(slot == Shared, ref s);
        }

        if (slot == Shared)
        {
            // Shared blocks compete by their own idle time: a system prompt in use stays, a dead sibling's prefix ages out.
            if (s.Count > SharedLimit)
            {
                return double.MaxValue / 2;
            }

            int head = s.Head;
            if (head < 0)
            {
                return double.MinValue;
            }

            return _options.SharedAging * (now - _lists.TouchedAt(head));
        }

        byte state = s.State;
        if (state == AgentSessionState.Closed)
        {
            return double.MaxValue;
        }

        return _options.OracleDiagnostic || _scaled ? DiagnosticWait(ref s, now, predict, state) : _rules.Wait(ref s, now, predict);
    }

    /// <summary>
    /// A live session's wait under a diagnostic (off the default path): every live session (or those of the partial
    /// oracle's states) by its true next request, in a replay as a wait in seconds, the scale the rules rank the others
    /// by (elsewhere its request index, so that no session may then be ranked on another scale beside it: OracleStates
    /// needs a replay); the rest by the rules' wait, scaled per state (<see cref="AgentPolicyOptions.StateScale"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private double DiagnosticWait(ref AgentSession s, double now, bool predict, byte state)
    {
        if (_options.OracleDiagnostic && _oracle.Ranks(state, predict))
        {
            return _oracle.Wait(ref s, now);
        }

        double wait = _rules.Wait(ref s, now, predict);
        return _scaled && predict ? Scaled(wait, state) : wait;
    }

    /// <summary>The rules' wait × the diagnostic's factor for the session's state (<see cref="AgentPolicyOptions.StateScale"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private double Scaled(double wait, byte state) =>
        wait * (state == AgentSessionState.Paused ? _options.StateScale.Paused
            : state == AgentSessionState.AwaitingUser ? _options.StateScale.User : _options.StateScale.InFlight);
}
