namespace KvTiering.Eviction;

/// <summary>
/// Which of <see cref="AgentSessionTable"/>'s blocks are known dead (<see cref="IKnowsDeadBlocks"/>), so the store
/// drops such a victim instead of demoting it: a closed session's private blocks (rule 8: the server said it is over)
/// and, in the top tier, a branch its session has left (rule 4: its latest request went as deep through other blocks,
/// and the session is not one seen to come back to skipped blocks). Never a block of the shared segment (another session may still want
/// it) nor of the session-less traffic (session 0 is many users: a request of one says nothing of another's blocks).
/// </summary>
/// <remarks>
/// The same facts rank these blocks first among the victims (docs/policies/agent.md, rules 4 and 8), so this adds no
/// judgement of its own. On the WEKA sessions a dead branch's blocks were used again 0% of the time (the diagnostic
/// "What Belady keeps that agent evicts", docs/policies/agent-research-log.md); a closed session sends no further request under its id, and one that does
/// is opened again before its blocks are asked about.
/// </remarks>
internal readonly struct AgentDeadBlocks
{
    private readonly TierView _tier;
    private readonly AgentPolicyOptions _options;
    private readonly AgentSessionSlots _slots;
    private readonly AgentBlockLists _lists;

    public AgentDeadBlocks(TierView tier, AgentPolicyOptions options, AgentSessionSlots slots, AgentBlockLists lists)
    {
        _tier = tier;
        _options = options;
        _slots = slots;
        _lists = lists;
    }

    /// <summary>Whether the block under <paramref name="handle"/> belongs to a closed session or to a branch its session left.</summary>
    public bool IsDead(int handle)
    {
        int owner = _lists.Owner(handle);
        if (owner <= AgentSessionSlots.Shared)
        {
            return false; // shared by several sessions, or not in any list
        }

        ref AgentSession s = ref _slots[owner];
        if (s.Id == 0)
        {
            return false;
        }

        if (s.State == AgentSessionState.Closed)
        {
            return true;
        }

        // Rule 4's test for one block (AgentBlockLists.HasSkippedFront asks it of a list's oldest): untouched by the
        // latest request, which went as deep as the block from no deeper than where it starts. Only in the top tier,
        // which sees the requests themselves: a lower tier's "requests" are its demotions and hits, whose depths say
        // nothing of the branch the session is on (judged there, the drop cost 0.05 points on WEKA's odd half).
        if (_tier.TierIndex != 0 || _options.StaleAging <= 0 || s.Revives || _lists.TouchedAt(handle) >= s.LastRequest)
        {
            return false;
        }

        int depth = _tier.Depth(handle);
        return depth <= s.RequestDepth && depth >= s.RequestTop;
    }
}
