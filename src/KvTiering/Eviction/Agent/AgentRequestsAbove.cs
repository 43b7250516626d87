namespace KvTiering.Eviction;

/// <summary>
/// Requests a tier above serves (<see cref="IKnowsRequestsAbove"/>), for <see cref="AgentSessionTable"/> in a lower
/// tier: the arrival of a request of a session this tier holds blocks of is registered as the session's request — its
/// gap (rule 2), its latest request's time and depths (rule 4), its hint state (rule 8) and the wait models move as
/// they do when a request reaches the tier itself — and the session is ranked again. No block is touched: the request
/// may never reach this tier, so the session's blocks here keep their recency.
/// </summary>
/// <remarks>
/// Without it a lower tier learns of a session only from demotions and from its own hits, so a session the tier above
/// keeps serving looks idle here since its last demotion and goes first (docs/architecture.md, "Demotions are not
/// requests"). A session holding nothing here is not opened: there is nothing to rank, and a record per session seen
/// would grow with the trace; its first demotion opens it, as before.
/// </remarks>
internal sealed class AgentRequestsAbove
{
    private readonly AgentSessionSlots _slots;
    private readonly AgentSessionRequests _requests;
    private readonly AgentSessionRanking _ranking;

    public AgentRequestsAbove(AgentSessionSlots slots, AgentSessionRequests requests, AgentSessionRanking ranking)
    {
        _slots = slots;
        _requests = requests;
        _ranking = ranking;
    }

    /// <summary>A request of <paramref name="session"/> arrived at <paramref name="now"/>: registered if the session is held here.</summary>
    public void Arrived(long session, double now, bool predicting)
    {
        if (_slots.TryFind(session, out int slot))
        {
            _requests.Register(ref _slots[slot], now);
            _ranking.Rescore(slot, now, predicting);
        }
    }
}
