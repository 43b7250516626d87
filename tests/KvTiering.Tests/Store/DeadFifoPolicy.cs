using KvTiering.Eviction;

namespace KvTiering.Tests.Store;

/// <summary>
/// A first-in-first-out policy written for the known-dead tests (not a shipped policy): its victims are exact, and it
/// calls a block dead when the test's predicate says its session is (<see cref="IKnowsDeadBlocks"/>). A class, so the
/// store must find the capability on the instance; <see cref="DeadFifoStruct"/> is the struct path.
/// </summary>
internal sealed class DeadFifoPolicy(Func<long, bool> deadSession) : IEvictionPolicy, IKnowsDeadBlocks
{
    private TierView _tier = null!;
    private long[] _inserted = [];
    private long _clock;

    /// <summary>How often the store asked <see cref="IsDead"/>.</summary>
    public int Asked { get; private set; }

    public void Attach(TierView tier)
    {
        _tier = tier;
        _inserted = new long[tier.Capacity];
        Array.Fill(_inserted, -1);
    }

    public bool Admit(in BlockInfo block) => true;

    public void OnInsert(int handle) => _inserted[handle] = _clock++;

    public void OnAccess(int handle)
    {
    }

    public void OnRemove(int handle) => _inserted[handle] = -1;

    public int SelectVictim()
    {
        int victim = -1;
        for (int h = 0; h < _inserted.Length; h++)
        {
            if (_inserted[h] >= 0 && _tier.IsEvictable(h) && (victim < 0 || _inserted[h] < _inserted[victim]))
            {
                victim = h;
            }
        }

        return victim;
    }

    public void OnSessionHint(long session, SessionHint hint)
    {
    }

    public bool IsDead(int handle)
    {
        Asked++;
        return deadSession(_tier.Session(handle));
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
