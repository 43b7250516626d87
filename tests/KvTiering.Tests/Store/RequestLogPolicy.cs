using KvTiering.Eviction;

namespace KvTiering.Tests.Store;

/// <summary>
/// A first-in-first-out policy written for the request-arrival tests (not a shipped policy): it declares
/// <see cref="IKnowsRequestsAbove"/> and logs, per tier, each arrival ("R7@2.5": session 7's request at 2.5 s), each
/// insert ("I7") and each access ("A7"), so a test reads exactly what the store told it and in which order. A class,
/// so the store must find the capability on the instance; <see cref="RequestLogStruct"/> is the struct path.
/// </summary>
internal sealed class RequestLogPolicy : IEvictionPolicy, IKnowsRequestsAbove
{
    private readonly FifoOrder _order = new();

    public List<string> Log { get; } = [];

    public int TierIndex => _order.Tier.TierIndex;

    public void Attach(TierView tier) => _order.Attach(tier);

    public bool Admit(in BlockInfo block) => true;

    public void OnInsert(int handle)
    {
        _order.Enter(handle);
        Log.Add("I" + _order.Tier.Session(handle));
    }

    public void OnRequestAbove(long session, double now) => Log.Add($"R{session}@{now:0.###}");

    public void OnAccess(int handle) => Log.Add("A" + _order.Tier.Session(handle));

    public void OnRemove(int handle) => _order.Leave(handle);

    public int SelectVictim() => _order.Oldest();

    public void OnSessionHint(long session, SessionHint hint)
    {
    }
}

/// <summary>The same policy as a struct (the store's generic path), over a shared <see cref="RequestLogPolicy"/>.</summary>
internal readonly struct RequestLogStruct(RequestLogPolicy inner) : IEvictionPolicy, IKnowsRequestsAbove
{
    public void Attach(TierView tier) => inner.Attach(tier);

    public bool Admit(in BlockInfo block) => true;

    public void OnInsert(int handle) => inner.OnInsert(handle);

    public void OnRequestAbove(long session, double now) => inner.OnRequestAbove(session, now);

    public void OnAccess(int handle) => inner.OnAccess(handle);

    public void OnRemove(int handle) => inner.OnRemove(handle);

    public int SelectVictim() => inner.SelectVictim();

    public void OnSessionHint(long session, SessionHint hint) => inner.OnSessionHint(session, hint);
}
