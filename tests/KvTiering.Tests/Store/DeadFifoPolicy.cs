using KvTiering.Eviction;

namespace KvTiering.Tests.Store;

/// <summary>
/// A first-in-first-out policy written for the known-dead tests (not a shipped policy): its victims are exact, and it
/// calls a block dead when the test's predicate says its session is (<see cref="IKnowsDeadBlocks"/>). A class, so the
/// store must find the capability on the instance; <see cref="DeadFifoStruct"/> is the struct path.
/// </summary>
internal sealed class DeadFifoPolicy(Func<long, bool> deadSession) : IEvictionPolicy, IKnowsDeadBlocks
{
    private readonly FifoOrder _order = new();

    /// <summary>How often the store asked <see cref="IsDead"/>.</summary>
    public int Asked { get; private set; }

    public void Attach(TierView tier)
    {
        _order.Attach(tier);
    }

    public bool Admit(in BlockInfo block) => true;

    public void OnInsert(int handle) => _order.Enter(handle);

    public void OnAccess(int handle)
    {
    }

    public void OnRemove(int handle) => _order.Leave(handle);

    public int SelectVictim() => _order.Oldest();

    public void OnSessionHint(long session, SessionHint hint)
    {
    }

    public bool IsDead(int handle)
    {
        Asked++;
        return deadSession(_order.Tier.Session(handle));
    }
}

/// <summary>The same policy as a struct (the store's generic path), over a shared <see cref="DeadFifoPolicy"/>.</summary>
internal readonly struct DeadFifoStruct(DeadFifoPolicy inner) : IEvictionPolicy, IKnowsDeadBlocks
{
    public void Attach(TierView tier) => inner.Attach(tier);

    public bool Admit(in BlockInfo block) => true;

    public void OnInsert(int handle) => inner.OnInsert(handle);

    public void OnAccess(int handle) => inner.OnAccess(handle);

    public void OnRemove(int handle) => inner.OnRemove(handle);

    public int SelectVictim() => inner.SelectVictim();

    public void OnSessionHint(long session, SessionHint hint) => inner.OnSessionHint(session, hint);

    public bool IsDead(int handle) => inner.IsDead(handle);
}
