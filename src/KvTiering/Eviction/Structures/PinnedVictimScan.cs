namespace KvTiering.Eviction;

/// <summary>Whether a handle's block is pinned now; a struct, so the scan is specialised for each policy.</summary>
internal interface IPinTest
{
    bool IsPinned(int handle);
}

/// <summary>
/// The victim scan of the TTL-pin policies (<c>continuum</c>, <c>ttl-pin</c>): the least recent evictable block that is
/// not pinned; pinned blocks passed on the way get a second chance (moved to the front), and when everything is
/// pinned the least recent pinned block goes, because a pin is soft and an engine must make progress.
/// </summary>
internal static class PinnedVictimScan
{
    /// <summary>Bounds an eviction when (nearly) everything is pinned.</summary>
    public const int MaxPinnedPasses = 1024;

    public static int Select<TPins>(HandleList list, TierView tier, TPins pins) where TPins : struct, IPinTest
    {
        int fallback = -1;
        int passed = 0;
        int h = list.Tail;
        for (int seen = list.Count; h >= 0 && seen > 0 && passed < MaxPinnedPasses; seen--)
        {
            int previous = list.Previous(h);
            if (tier.IsEvictable(h))
            {
                if (!pins.IsPinned(h))
                {
                    return h;
                }

                passed++;
                if (fallback < 0)
                {
                    fallback = h;
                }
                else
                {
                    list.MoveToFront(h); // a second chance: the next scan starts past it
                }
            }

            h = previous;
        }

        return fallback;
    }
}
