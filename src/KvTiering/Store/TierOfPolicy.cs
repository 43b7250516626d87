using System.Runtime.CompilerServices;
using KvTiering.Eviction;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>The hot core: the policy is a generic struct parameter, so its calls inline.</summary>
internal sealed class Tier<TPolicy> : Tier
    where TPolicy : IEvictionPolicy
{
    private TPolicy _policy;

    public Tier(int index, TierProfile profile, IBlockDevice device, TPolicy policy, EvictionPolicy descriptor)
        : base(index, profile, device, descriptor, default(TPolicy) is IAdmitsAll)
    {
        _policy = policy;
    }

    public override void Attach(TierView view) => _policy.Attach(view);

    public override bool Admit(in BlockInfo block) => _policy.Admit(block);

    public override void OnInsert(int slot)
    {
        if (ReferenceBits is { } bits)
        {
            bits[slot] = 0; // a block enters unreferenced, whatever its slot's last block left behind
        }

        _policy.OnInsert(slot);
    }

    public override void OnAccess(int slot) => _policy.OnAccess(slot);

    public override void OnAccessMany(ReadOnlySpan<int> slots)
    {
        foreach (int slot in slots)
        {
            _policy.OnAccess(slot);
        }
    }

    public override void OnRemove(int slot) => _policy.OnRemove(slot);

    public override int SelectVictim() => _policy.SelectVictim();

    public override void OnSessionHint(long session, SessionHint hint) => _policy.OnSessionHint(session, hint);

    public override int InsertOutright(BlockTable table, int e)
    {
        int slot = TakeSlot();
        if (slot < 0 && (slot = EvictVictim(table)) < 0)
        {
            return -1;
        }

        table.Place(e, 0, slot);
        SlotToEntry[slot] = e;
        if (ReferenceBits is { } bits)
        {
            bits[slot] = 0;
        }

        _policy.OnInsert(slot);
        Counters.Inserts++;
        return slot;
    }

    /// <summary>Evicts the policy's victim and returns its slot, or -1 when it names none (<see cref="Tier.InsertOutright"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int EvictVictim(BlockTable table)
    {
        int victim = _policy.SelectVictim();
        if (victim < 0)
        {
            return -1;
        }

        int e = (uint)victim < (uint)Capacity ? SlotToEntry[victim] : -1;
        if (e < 0 || !table.IsEvictable(e))
        {
            ThrowBadVictim(victim);
        }

        table.InFlight[e] = true;
        Counters.Evictions++;
        _policy.OnRemove(victim);
        Vacate(table, e, victim);
        return victim;
    }
}
