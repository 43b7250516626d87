using KvTiering.Eviction;

namespace KvTiering.Tests.Store;

/// <summary>
/// LRU that declines new puts while <see cref="Bypass"/> is set (demotions still enter), written for the write-behind
/// save tests (not a shipped policy): a put then lands in a lower tier directly, as under the agent policy's bypass,
/// which declines a block of the session it expects back last once its tier is full.
/// </summary>
internal sealed class BypassingPolicy : IEvictionPolicy
{
    private LruPolicy _lru;

    /// <summary>While set, <see cref="Admit"/> declines every block that is not a demotion.</summary>
    public bool Bypass { get; set; }

    public void Attach(TierView tier) => _lru.Attach(tier);

    public bool Admit(in BlockInfo block) => block.IsDemotion || !Bypass;

    public void OnInsert(int handle) => _lru.OnInsert(handle);

    public void OnAccess(int handle) => _lru.OnAccess(handle);

    public void OnRemove(int handle) => _lru.OnRemove(handle);

    public int SelectVictim() => _lru.SelectVictim();

    public void OnSessionHint(long session, SessionHint hint) => _lru.OnSessionHint(session, hint);
}
