using KvTiering.Eviction;

namespace AgentServer.Engine;

/// <summary>
/// Wraps a tier's eviction policy and notes each session hint it receives in a <see cref="SessionHintLog"/> before
/// passing it on; every other call goes straight through. Hints are a few per request, far off the hit path.
/// </summary>
internal struct HintRecordingPolicy<TInner>(TInner inner, SessionHintLog log, string tier) : IEvictionPolicy
    where TInner : struct, IEvictionPolicy
{
    private TInner _inner = inner;

    public void Attach(TierView tier) => _inner.Attach(tier);

    public bool Admit(in BlockInfo block) => _inner.Admit(block);

    public void OnInsert(int handle) => _inner.OnInsert(handle);

    public void OnAccess(int handle) => _inner.OnAccess(handle);

    public void OnRemove(int handle) => _inner.OnRemove(handle);

    public int SelectVictim() => _inner.SelectVictim();

    public void OnSessionHint(long session, SessionHint hint)
    {
        log.Record(session, tier, hint);
        _inner.OnSessionHint(session, hint);
    }
}
