using KvTiering.Eviction;

namespace CustomPolicy;

/// <summary>
/// Most recently used: evicts the block touched last. A poor policy for prefix caches (it throws away the prefix a
/// session is about to reuse) and a good one for a looping scan larger than the cache; here it shows the contract.
/// </summary>
/// <remarks>Chou and DeWitt, "An Evaluation of Buffer Management Strategies for Relational Database Systems", VLDB 1985.</remarks>
public struct MruPolicy : IEvictionPolicy
{
    private HandleList _list; // head = most recently used
    private TierView _tier;

    /// <summary>Called once, before anything else: size every structure to the tier's capacity here.</summary>
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _list = new HandleList(tier.Capacity);
    }

    /// <summary>Every block is admitted (return false to bypass the tier).</summary>
    public readonly bool Admit(in BlockInfo block) => true;

    /// <summary>A block took slot <paramref name="handle"/>.</summary>
    public readonly void OnInsert(int handle) => _list.PushFront(handle);

    /// <summary>A resident block was hit.</summary>
    public readonly void OnAccess(int handle) => _list.MoveToFront(handle);

    /// <summary>A block left the tier (evicted, demoted, promoted or removed): forget its handle.</summary>
    public readonly void OnRemove(int handle) => _list.Remove(handle);

    /// <summary>The evictable block used most recently, or -1 when every resident block is pinned or a parent.</summary>
    public readonly int SelectVictim()
    {
        for (int h = _list.Head; h >= 0; h = _list.Next(h))
        {
            if (_tier.IsEvictable(h))
            {
                return h;
            }
        }

        return -1;
    }

    /// <summary>MRU ignores session hints (so reports never label it "mru+hints").</summary>
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }
}
