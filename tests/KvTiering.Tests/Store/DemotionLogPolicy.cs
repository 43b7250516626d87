using KvTiering.Eviction;

namespace KvTiering.Tests.Store;

/// <summary>
/// A first-in-first-out policy written for the demotion tests (not a shipped policy): it declares
/// <see cref="IKnowsDemotions"/> and logs, per tier, how each block entered ("I" an insert, "D" a demotion, with the
/// block's session as its name), so a test reads exactly what the store told it. A class, so the store must find the
/// capability on the instance; <see cref="DemotionLogStruct"/> is the struct path.
/// </summary>
internal sealed class DemotionLogPolicy : IEvictionPolicy, IKnowsDemotions
{
    private readonly FifoOrder _order = new();

    /// <summary>"I5" / "D5": the block of session 5 entered by an insert or a demotion, in order.</summary>
    public List<string> Log { get; } = [];

    /// <summary>What the store's view said when the policy was attached.</summary>
    public bool TellsDemotions { get; private set; }

    public int TierIndex => _order.Tier.TierIndex;

    public void Attach(TierView tier)
    {
        _order.Attach(tier);
        TellsDemotions = tier.TellsDemotions;
    }

    public bool Admit(in BlockInfo block) => true;

    public void OnInsert(int handle) => Enter(handle, "I");

    public void OnDemotion(int handle) => Enter(handle, "D");

    public void OnAccess(int handle)
    {
    }

    public void OnRemove(int handle) => _order.Leave(handle);

    public int SelectVictim() => _order.Oldest();

    public void OnSessionHint(long session, SessionHint hint)
    {
    }

    private void Enter(int handle, string how)
    {
        _order.Enter(handle);
        Log.Add(how + _order.Tier.Session(handle));
    }
}

/// <summary>The same policy as a struct (the store's generic path), over a shared <see cref="DemotionLogPolicy"/>.</summary>
internal readonly struct DemotionLogStruct(DemotionLogPolicy inner) : IEvictionPolicy, IKnowsDemotions
{
    public void Attach(TierView tier) => inner.Attach(tier);

    public bool Admit(in BlockInfo block) => true;

    public void OnInsert(int handle) => inner.OnInsert(handle);

    public void OnDemotion(int handle) => inner.OnDemotion(handle);

    public void OnAccess(int handle) => inner.OnAccess(handle);

    public void OnRemove(int handle) => inner.OnRemove(handle);

    public int SelectVictim() => inner.SelectVictim();

    public void OnSessionHint(long session, SessionHint hint) => inner.OnSessionHint(session, hint);
}
