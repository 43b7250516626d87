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
/// integer division instead: the agent policy's session-less pool measured better with it (docs/policies/agent.md).
/// The ghosts are fixed-size <see cref="GhostSet"/>s of c keys each.
/// </remarks>
internal sealed class ArcDirectory(int capacity, bool wholeSteps = false)
{
    private const byte NoGhost = 0;
    private const byte GhostB1 = 1;
    private const byte GhostB2 = 2;

    private readonly GhostSet _b1 = new(capacity);
    private readonly GhostSet _b2 = new(capacity);
    private double _p;
    private byte _pendingGhost;
    private BlockKey _missKey;     // the key of the last miss that was in neither ghost list (while _missUnseen)
    private bool _missUnseen;

    /// <summary>The current target size of T1 (p), in blocks (a real number).</summary>
    public double TargetT1 => _p;

    /// <summary>
    /// A miss for <paramref name="key"/> (cases II to IV of the paper): a ghost hit adapts p, before REPLACE chooses.
    /// </summary>
    public void OnMiss(in BlockKey key)
    {
        if (_b1.Contains(key))
        {
            _pendingGhost = GhostB1;
            _p = Math.Min(capacity, _p + Step(_b2.Count, _b1.Count));
        }
        else if (_b2.Contains(key))
        {
            _pendingGhost = GhostB2;
            _p = Math.Max(0.0, _p - Step(_b1.Count, _b2.Count));
        }
        else
        {
            _pendingGhost = NoGhost;
            _missKey = key;
            _missUnseen = true;
            return;
        }

        _missUnseen = false;
    }

    /// <summary>max(1, <paramref name="other"/> / <paramref name="own"/>): δ1 or δ2 of the paper.</summary>
    private double Step(int other, int own) =>
        wholeSteps ? Math.Max(1, other / Math.Max(1, own)) : Math.Max(1.0, (double)other / Math.Max(1, own));

    /// <summary>The newcomer <paramref name="key"/> is inserted: true when it was a ghost (it joins T2, else T1).</summary>
    public bool Admitted(in BlockKey key)
    {
        _pendingGhost = NoGhost;
        if (_missUnseen)
        {
            _missUnseen = false;
            if (_missKey.Equals(key))
            {
                // OnMiss found it in neither list, and only Evicted adds a key since (it clears _missUnseen for this
                // one): no probe needed. Most misses are not ghost hits, and each saved probe is a cold bucket.
                return false;
            }
        }

        return _b1.Remove(key) || _b2.Remove(key);
    }

    /// <summary>REPLACE(x, p): from T1 when it exceeds its target (or meets it and x is a B2 ghost), else from T2.</summary>
    public bool EvictFromT1(int t1Count) =>
        t1Count > 0 && (t1Count > _p || (_pendingGhost == GhostB2 && t1Count == _p));

    /// <summary>A block left T1 (<paramref name="fromT1"/>) or T2 by eviction: its key becomes a ghost.</summary>
    public void Evicted(in BlockKey key, bool fromT1)
    {
        if (_missUnseen && _missKey.Equals(key))
        {
            _missUnseen = false; // the missed key was resident after all, and becomes a ghost now
        }

        (fromT1 ? _b1 : _b2).Add(key);
    }

    /// <summary>
    /// Restores the directory bounds (|T1| + |B1| ≤ c, |T1| + |T2| + |B1| + |B2| ≤ 2c) by forgetting the oldest ghost
    /// keys, which drops exactly the keys the paper's case IV drops.
    /// </summary>
    public void Trim(int t1Count, int t2Count)
    {
        while (t1Count + _b1.Count > capacity && _b1.RemoveOldest())
        {
        }

        while (t1Count + t2Count + _b1.Count + _b2.Count > 2 * capacity && (_b2.RemoveOldest() || _b1.RemoveOldest()))
        {
        }
    }
}
