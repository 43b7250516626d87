using System.Reflection;
using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

/// <summary>
/// The agent policy, unchanged, behind a class that keeps the instance a tier runs, so a test can read what that
/// tier's policy believes about a session (its record in <see cref="AgentSessionSlots"/>): the demotion tests check
/// that a demotion leaves the record alone. Forwards every call and capability the agent policy declares.
/// </summary>
internal sealed class AgentProbe : IEvictionPolicy, IKnowsDeadBlocks, IKnowsDemotions, IKnowsRequestsAbove
{
    private static readonly FieldInfo s_table = typeof(AgentPolicy).GetField("_table", BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly FieldInfo s_slots = typeof(AgentSessionTable).GetField("_slots", BindingFlags.NonPublic | BindingFlags.Instance)!;
    private AgentPolicy _inner; // not readonly: Attach sets its table (a readonly field would attach a copy)

    public AgentProbe(AgentPolicyOptions? options = null) => _inner = new AgentPolicy(options ?? AgentPolicyOptions.Default);

    public int TierIndex { get; private set; } = -1;

    /// <summary>The tier's record of <paramref name="session"/>, or null when it does not track the session.</summary>
    public AgentSession? Session(long session)
    {
        var slots = (AgentSessionSlots)s_slots.GetValue(s_table.GetValue(_inner))!;
        return slots.TryFind(session, out int slot) ? slots[slot] : null;
    }

    public void Attach(TierView tier)
    {
        TierIndex = tier.TierIndex;
        _inner.Attach(tier);
    }

    public bool Admit(in BlockInfo block) => _inner.Admit(block);

    public void OnInsert(int handle) => _inner.OnInsert(handle);

    public void OnDemotion(int handle) => _inner.OnDemotion(handle);

    public void OnRequestAbove(long session, double now) => _inner.OnRequestAbove(session, now);

    public void OnAccess(int handle) => _inner.OnAccess(handle);

    public void OnRemove(int handle) => _inner.OnRemove(handle);

    public int SelectVictim() => _inner.SelectVictim();

    public bool IsDead(int handle) => _inner.IsDead(handle);

    public void OnSessionHint(long session, SessionHint hint) => _inner.OnSessionHint(session, hint);
}
