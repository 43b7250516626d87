namespace KvTiering.Eviction;

/// <summary>
/// Blocks a tier above demoted into this one (<see cref="IKnowsDemotions"/>), for <see cref="AgentSessionTable"/>: a
/// demotion is no request of the block's session, so it joins its session's list without touching what the session's
/// requests taught — its gap (rule 2), its latest request's time and depths (rule 4), its hint state (rule 8) and the
/// wait models — and the bypass (rule 5) is judged on the session's standing, not on a request registered for it.
/// </summary>
/// <remarks>
/// The demoted block is appended at its list's newest end, touched now: the order of demotion, which is the
/// recency a lower tier can know (Wong and Wilkes's DEMOTE, "My Cache or Yours? Making Storage More Exclusive", USENIX
/// ATC 2002: a block the cache above gave up is the most recent of the cache below, so the two stay one LRU stack; vLLM's
/// and LMCache's CPU offload caches append offloaded blocks the same way). It thus counts as part of its session's
/// latest request here, neither stale nor on a left branch: only a request seen by this tier (a hit here) judges those.
/// A session this tier learns of by a demotion is opened at the demotion's time (its first "request" is unknown here,
/// and the tier above gave it up just now), on probation as any new session, with no gap of its own.
/// </remarks>
internal sealed class AgentDemotions
{
    private readonly TierView _tier;
    private readonly AgentPolicyOptions _options;
    private readonly AgentSessionSlots _slots;
    private readonly AgentBlockLists _lists;
    private readonly AgentSessionRanking _ranking;
    private readonly AgentAnonymousPool? _anonymous;

    public AgentDemotions(TierView tier, AgentPolicyOptions options, AgentSessionSlots slots, AgentBlockLists lists,
        AgentSessionRanking ranking, AgentAnonymousPool? anonymous)
    {
        _tier = tier;
        _options = options;
        _slots = slots;
        _lists = lists;
        _ranking = ranking;
        _anonymous = anonymous;
    }

    /// <summary>
    /// Whether a demoted block enters: declined only when its session, as this tier ranks it now, is the victim and has
    /// no stale block to give up (rule 5's bypass), since storing it would push out the session's own deeper block.
    /// </summary>
    public bool Admit(in BlockInfo block, bool predicting)
    {
        if (block.Session == 0)
        {
            _anonymous?.Offer(block.Key, block.Depth);
            return true;
        }

        if (!_options.Bypass || _tier.Count < _tier.Capacity || !_slots.TryFind(block.Session, out int slot)
            || _slots[slot].Count == 0)
        {
            return true; // a session holding nothing here cannot be the victim
        }

        double now = _tier.Now;
        _ranking.Rescore(slot, now, predicting);
        int victim = _ranking.VictimSession(now, predicting);
        return victim != slot || _lists.HasStaleFront(ref _slots[slot]);
    }

    /// <summary>The demoted block under <paramref name="handle"/> joins the list of its session's <paramref name="slot"/>.</summary>
    public void Insert(int handle, int slot, double now, bool predicting)
    {
        ref AgentSession session = ref _slots[slot];
        _lists.Append(handle, slot, ref session, now);
        if (_anonymous is not null && _tier.Session(handle) == 0)
        {
            _anonymous.Touch(handle, inserted: true);
        }

        if (_options.OracleDiagnostic || AgentRankDump.Enabled)
        {
            session.OracleNext = _tier.NextUse(handle);
        }

        _ranking.Rescore(slot, now, predicting);
    }
}
