namespace KvTiering.Eviction;

/// <summary>
/// Which block of <see cref="AgentSessionTable"/>'s tier goes: one of the victim session that
/// <see cref="AgentSessionRanking"/> chose, or, when pins left it nothing, the first evictable block of any list.
/// </summary>
internal sealed class AgentVictimPicker
{
    private const int Shared = AgentSessionSlots.Shared;

    private readonly TierView _tier;
    private readonly AgentPolicyOptions _options;
    private readonly AgentSessionSlots _slots;
    private readonly AgentBlockLists _lists;
    private readonly AgentSessionRanking _ranking;
    private readonly AgentHitDensity _density;
    private readonly AgentAnonymousPool? _anonymous;

    public AgentVictimPicker(TierView tier, AgentPolicyOptions options, AgentSessionSlots slots, AgentBlockLists lists, AgentSessionRanking ranking,
        AgentHitDensity density, AgentAnonymousPool? anonymous)
    {
        _tier = tier;
        _options = options;
        _slots = slots;
        _lists = lists;
        _ranking = ranking;
        _density = density;
        _anonymous = anonymous;
    }

    /// <summary>The block to evict at <paramref name="now"/>, or -1 when every block is pinned.</summary>
    public int SelectVictim(double now, bool predict)
    {
        AgentSession[] sessions = _slots.Records;
        int session = _ranking.VictimSession(now, predict);
        int handle = session >= 0 ? PickInSession(session, ref sessions[session]) : -1;
        if (handle >= 0)
        {
            AgentCeilingDump.Eviction(_tier, _slots, _lists, handle);
            return handle;
        }

        // Pins (or a drained victim) left nothing: rescan every list for any evictable block.
        for (int s = _slots.NextHolding(0); s >= 0; s = _slots.NextHolding(s + 1))
        {
            if ((handle = PickInSession(s, ref sessions[s])) >= 0)
            {
                return handle;
            }
        }

        return -1;
    }

    /// <summary>
    /// The block the session gives up, or -1: blocks of no session in the pool's order (ARC's or S3-FIFO's), then the
    /// list's order (<see cref="AgentBlockLists.Pick"/>). Each block given up counts towards the tier's eviction age
    /// while hit density ranks (<see cref="AgentHitDensity"/>).
    /// </summary>
    private int PickInSession(int slot, ref AgentSession s)
    {
        int handle = _anonymous is not null && slot != Shared && s.Id == 0 ? _anonymous.SelectVictim() : -1;
        if (handle < 0)
        {
            handle = _lists.Pick(slot == Shared, ref s);
        }

        if (handle >= 0 && _options.HitDensity != 0)
        {
            _density.NoteEviction();
        }

        return handle;
    }
}
