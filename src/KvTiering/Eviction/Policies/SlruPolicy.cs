using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// Segmented LRU as vLLM's CPU offloading cache has it: new blocks enter a probation segment, a second access promotes
/// a block to a protected segment (at most 80% of the tier; its overflow drops back to the head of probation), and
/// the victim is probation's least recent block, protected's only when probation has none. A ghost set remembers the
/// keys of evicted blocks that had been protected; such a block comes back straight into protected.
/// </summary>
/// <remarks>
/// Karedla, Love and Wherry, "Caching Strategies to Improve Disk System Performance", IEEE Computer 27(3), 1994
/// (SLRU); the ghost set and the placement follow vLLM PR #38984 ("Add SLRU eviction policy for CPU offloading
/// cache"). The PR leaves the split open; 80% protected is the usual SLRU choice (also Caffeine's main region). The
/// ghost set holds as many keys as the tier has blocks.
/// </remarks>
public struct SlruPolicy : IEvictionPolicy
{
    private const byte Probation = 1;
    private const byte Protected = 2;
    private TierView _tier;
    private HandleList _probation;
    private HandleList _protected;
    private byte[] _segment;
    private bool[] _everProtected;
    private GhostSet _ghost;
    private int _protectedLimit;
    private BlockKey _returning;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _probation = new HandleList(tier.Capacity);
        _protected = new HandleList(tier.Capacity);
        _segment = new byte[tier.Capacity];
        _everProtected = new bool[tier.Capacity];
        _ghost = new GhostSet(Math.Max(1, tier.Capacity));
        _protectedLimit = Math.Max(1, (int)(tier.Capacity * 0.8));
        _returning = BlockKey.Empty;
    }

    /// <inheritdoc />
    public bool Admit(in BlockInfo block)
    {
        _returning = _ghost.Contains(block.Key) ? block.Key : BlockKey.Empty;
        return true;
    }

    /// <inheritdoc />
    public void OnInsert(int handle)
    {
        if (!_returning.IsEmpty && _tier.Key(handle) == _returning)
        {
            _ghost.Remove(_returning);
            _returning = BlockKey.Empty;
            Protect(handle);
            return;
        }

        _segment[handle] = Probation;
        _everProtected[handle] = false;
        _probation.PushFront(handle);
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
        if (_segment[handle] == Protected)
        {
            _protected.MoveToFront(handle);
            return;
        }

        _probation.Remove(handle);
        Protect(handle);
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle)
    {
        if (_segment[handle] == Protected)
        {
            _protected.Remove(handle);
        }
        else if (_segment[handle] == Probation)
        {
            _probation.Remove(handle);
        }

        _segment[handle] = 0;
    }

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        int victim = OldestEvictable.In(_probation, _tier);
        if (victim < 0)
        {
            victim = OldestEvictable.In(_protected, _tier);
        }

        if (victim >= 0 && (_everProtected[victim] || _segment[victim] == Protected))
        {
            _ghost.Add(_tier.Key(victim));
        }

        return victim;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }

    private readonly void Protect(int handle)
    {
        _segment[handle] = Protected;
        _everProtected[handle] = true;
        _protected.PushFront(handle);
        while (_protected.Count > _protectedLimit)
        {
            int demoted = _protected.PopBack();
            _segment[demoted] = Probation;
            _probation.PushFront(demoted);
        }
    }
}
