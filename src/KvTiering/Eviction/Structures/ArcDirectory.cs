using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// ARC's ghost directory and adaptive target: the keys of blocks recently evicted from T1 (B1) and T2 (B2), the target
/// size p of T1, and the REPLACE rule that reads them. The resident lists T1 and T2 stay with the caller, which may
/// order them as it likes (<see cref="ArcPolicy"/>: plain recency; <see cref="AgentAnonymousPool"/>: tail-first).
/// </summary>
/// <remarks>
/// Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003 (figure 4). The paper leaves
/// open whether p and its steps are integers; by default p is a real number adapted by max(1, |B2| / |B1|) and
/// max(1, |B1| / |B2|) in real division, as in libCacheSim's ARC.c and the reference ARC.py it was checked against
/// (integer steps missed up to 0.44 points more or less than libCacheSim, docs/harness.md). <c>wholeSteps</c> keeps
/// integer division instead: the agent policy's session-less pool measured better with it (docs/policies/agent-research-log.md, Design, rule 11).
/// The ghosts are two fixed-size lists of c keys each behind one index (<see cref="GhostPair"/>), so a miss probes
/// once; a shadow cache may share that index with its resident keys (<see cref="OnMiss(in BlockKey, int)"/>).
/// </remarks>
internal sealed class ArcDirectory
{
    private const byte NoGhost = 0;
    private const byte GhostB1 = 1;
    private const byte GhostB2 = 2;

    private readonly GhostPair _ghosts; // B1 first, B2 second
    private readonly int _capacity;
    private readonly bool _wholeSteps;
    private double _p;
    private byte _pendingGhost;
    private BlockKey _missKey;   // the key OnMiss last looked up, while no ghost can have gained it since
    private int _missCell;       // where OnMiss found it (-1: no ghost)
    private bool _missKnown;

    /// <summary>A directory of two ghost lists of <paramref name="capacity"/> keys each, with their own index.</summary>
    public ArcDirectory(int capacity, bool wholeSteps = false)
        : this(new GhostPair(capacity), wholeSteps)
    {
    }

    /// <summary>A directory over <paramref name="ghosts"/> (B1 its first list, B2 its second), whose index the caller may share.</summary>
    public ArcDirectory(GhostPair ghosts, bool wholeSteps = false)
    {
        ArgumentNullException.ThrowIfNull(ghosts);
        _ghosts = ghosts;
        _capacity = ghosts.Capacity;
        _wholeSteps = wholeSteps;
    }

    /// <summary>The current target size of T1 (p), in blocks (a real number).</summary>
    public double TargetT1 => _p;

    /// <summary>
    /// A miss for <paramref name="key"/> (cases II to IV of the paper): a ghost hit adapts p, before REPLACE chooses.
    /// </summary>
    public void OnMiss(in BlockKey key) => OnMiss(key, _ghosts.Find(key));

    /// <summary>
    /// <see cref="OnMiss(in BlockKey)"/> for a caller that has looked <paramref name="key"/> up in the ghosts' index
    /// already: <paramref name="ghostCell"/> is the ghost cell holding it, or -1 when it is no ghost.
    /// </summary>
    public void OnMiss(in BlockKey key, int ghostCell)
    {
        if (ghostCell < 0)
        {
            _pendingGhost = NoGhost;
        }
        else if (_ghosts.IsFirst(ghostCell))
        {
            _pendingGhost = GhostB1;
            _p = Math.Min(_capacity, _p + Step(_ghosts.SecondCount, _ghosts.FirstCount));
        }
        else
        {
            _pendingGhost = GhostB2;
            _p = Math.Max(0.0, _p - Step(_ghosts.FirstCount, _ghosts.SecondCount));
        }

        _missKey = key;
        _missCell = ghostCell;
        _missKnown = true;
    }

    /// <summary>max(1, <paramref name="other"/> / <paramref name="own"/>): δ1 or δ2 of the paper.</summary>
    private double Step(int other, int own) =>
        _wholeSteps ? Math.Max(1, other / Math.Max(1, own)) : Math.Max(1.0, (double)other / Math.Max(1, own));

    /// <summary>The newcomer <paramref name="key"/> is inserted: true when it was a ghost (it joins T2, else T1).</summary>
    public bool Admitted(in BlockKey key)
    {
        _pendingGhost = NoGhost;
        int cell;
        if (_missKnown && key.Equals(_missKey))
        {
            // OnMiss already looked this key up, and since then a ghost list can only have lost keys (a ghost is
            // added only by Evicted, which forgets the lookup for this key): check only the cell it was found in.
            _missKnown = false;
            cell = _missCell;
            if (cell < 0 || !_ghosts.Holds(cell, key))
            {
                return false;
            }
        }
        else
        {
            _missKnown = false;
            cell = _ghosts.Find(key);
            if (cell < 0)
            {
                return false;
            }
        }

        _ghosts.Forget(cell);
        return true;
    }

    /// <summary>
    /// Forgets every ghost and sets the target to <paramref name="targetT1"/>: the directory as new, for an owner that
    /// rebuilds its lists from another order's (<see cref="AnonymousArcOrder.Rebuild"/>).
    /// </summary>
    public void Reset(double targetT1)
    {
        while (_ghosts.RemoveOldest(first: true))
        {
        }

        while (_ghosts.RemoveOldest(first: false))
        {
        }

        _p = Math.Clamp(targetT1, 0, _capacity);
        _pendingGhost = NoGhost;
        _missKnown = false;
    }

    /// <summary>REPLACE(x, p): from T1 when it exceeds its target (or meets it and x is a B2 ghost), else from T2.</summary>
    public bool EvictFromT1(int t1Count) =>
        t1Count > 0 && (t1Count > _p || (_pendingGhost == GhostB2 && t1Count == _p));

    /// <summary>
    /// A block left T1 (<paramref name="fromT1"/>) or T2 by eviction: its key becomes a ghost. The key is resident
    /// until now, so it is no ghost: every insert removed the newcomer's ghost (<see cref="Admitted"/>).
    /// </summary>
    public void Evicted(in BlockKey key, bool fromT1)
    {
        if (_missKnown && key.Equals(_missKey))
        {
            _missKnown = false;
        }

        _ghosts.AddAbsent(key, fromT1);
    }

    /// <summary>
    /// <see cref="Evicted(in BlockKey, bool)"/> for an owner that shares the ghosts' index: the victim's key, indexed in
    /// the owner's <paramref name="slot"/>, keeps its index entry as a ghost (no removal, no probe). False when the
    /// ghost lists hold nothing (capacity 0): the owner un-indexes the slot itself.
    /// </summary>
    public bool Evicted(int slot, in BlockKey key, bool fromT1)
    {
        if (_missKnown && key.Equals(_missKey))
        {
            _missKnown = false;
        }

        return _ghosts.AddFrom(slot, fromT1);
    }

    /// <summary>
    /// Restores the directory bounds (|T1| + |B1| ≤ c, |T1| + |T2| + |B1| + |B2| ≤ 2c) by forgetting the oldest ghost
    /// keys, which drops exactly the keys the paper's case IV drops.
    /// </summary>
    public void Trim(int t1Count, int t2Count)
    {
        while (t1Count + _ghosts.FirstCount > _capacity && _ghosts.RemoveOldest(first: true))
        {
        }

        while (t1Count + t2Count + _ghosts.FirstCount + _ghosts.SecondCount > 2 * _capacity
               && (_ghosts.RemoveOldest(first: false) || _ghosts.RemoveOldest(first: true)))
        {
        }
    }
}
