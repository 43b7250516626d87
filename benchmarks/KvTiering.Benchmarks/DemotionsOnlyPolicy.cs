using KvTiering.Eviction;

namespace KvTiering.Benchmarks;

/// <summary>
/// LRU that admits demotions only: every put passes its tier by and lands in the tier below, as the agent policy's
/// bypass sends a session it expects back last straight to the remote tier (<see cref="RemoteSaveRun"/>'s direct case).
/// </summary>
internal struct DemotionsOnlyPolicy : IEvictionPolicy
{
    private LruPolicy _lru;

    public void Attach(TierView tier) => _lru.Attach(tier);

    public readonly bool Admit(in BlockInfo block) => block.IsDemotion;

    public void OnInsert(int handle) => _lru.OnInsert(handle);

    public void OnAccess(int handle) => _lru.OnAccess(handle);

    public void OnRemove(int handle) => _lru.OnRemove(handle);

    public int SelectVictim() => _lru.SelectVictim();

    public void OnSessionHint(long session, SessionHint hint) => _lru.OnSessionHint(session, hint);
}
