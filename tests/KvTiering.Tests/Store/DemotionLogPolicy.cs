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
    private TierView _tier = null!;
    private long[] _inserted = [];
    private long _clock;

    /// <summary>"I5" / "D5": the block of session 5 entered by an insert or a demotion, in order.</summary>
    public List<string> Log { get; } = [];

    /// <summary>What the store's view said when the policy was attached.</summary>
    public bool TellsDemotions { get; private set; }

    public int TierIndex => _tier.TierIndex;

    public void Attach(TierView tier)
    {
        _tier = tier;
        TellsDemotions = tier.TellsDemotions;
        _inserted = new long[tier.Capacity];
        Array.Fill(_inserted, -1);
    }

    public bool Admit(in BlockInfo block) => true;

    public void OnInsert(int handle) => Enter(handle, "I");

    public void OnDemotion(int handle) => Enter(handle, "D");

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

    private void Enter(int handle, string how)
    {
        _inserted[handle] = _clock++;
        Log.Add(how + _tier.Session(handle));
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
