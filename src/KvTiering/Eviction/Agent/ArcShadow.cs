namespace KvTiering.Eviction;

/// <summary>A shadow cache run by <see cref="AnonymousArcOrder"/>'s rule: ARC over tail-first lists.</summary>
/// <remarks>
/// Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003 (figure 4). The ghost lists B1
/// and B2 share the shadow's key index, so a reference probes once for T1 ∪ T2 ∪ B1 ∪ B2.
/// </remarks>
internal sealed class ArcShadow : AnonymousShadow
{
    private const byte InT1 = 1;
    private const byte InT2 = 2;

    private readonly byte[] _list;
    private readonly ArcDirectory _directory;
    private BurstList _t1;
    private BurstList _t2;

    public ArcShadow(int capacity, bool wholeSteps)
        : base(capacity, ghostCells: 2 * capacity)
    {
        _list = new byte[capacity];
        _directory = new ArcDirectory(new GhostPair(capacity, Keys, Index, first: capacity), wholeSteps);
        _t1 = new BurstList(capacity);
        _t2 = new BurstList(capacity);
    }

    /// <summary>ARC's current target size of the blocks-used-once list (its p).</summary>
    public double TargetOnce => _directory.TargetT1;

    protected override void StartRequest()
    {
        _t1.Close();
        _t2.Close();
    }

    protected override void OnHit(int slot)
    {
        Unlink(slot);
        _list[slot] = InT2;
        _t2.Touch(slot, Depths[slot]);
    }

    protected override void OnMiss(in Blocks.BlockKey key, int ghostCell) => _directory.OnMiss(key, ghostCell);

    protected override void OnInsert(int slot)
    {
        bool ghost = _directory.Admitted(Keys[slot]);
        _list[slot] = ghost ? InT2 : InT1;
        if (ghost)
        {
            _t2.Touch(slot, Depths[slot]);
        }
        else
        {
            _t1.Touch(slot, Depths[slot]);
        }

        _directory.Trim(_t1.Count, _t2.Count);
    }

    protected override int SelectVictim()
    {
        bool fromT1 = _directory.EvictFromT1(_t1.Count);
        return fromT1 ? _t1.Tail : _t2.Count > 0 ? _t2.Tail : _t1.Tail;
    }

    protected override bool OnEvict(int slot)
    {
        bool ghost = _directory.Evicted(slot, Keys[slot], _list[slot] == InT1); // the key's index entry moves to B1 or B2
        Unlink(slot);
        return ghost;
    }

    private void Unlink(int slot)
    {
        if (_list[slot] == InT1)
        {
            _t1.Remove(slot);
        }
        else
        {
            _t2.Remove(slot);
        }

        _list[slot] = 0;
    }
}
