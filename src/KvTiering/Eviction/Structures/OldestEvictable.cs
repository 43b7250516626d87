namespace KvTiering.Eviction;

/// <summary>The least recent block of a recency list that the tier lets go (not pinned, not in flight); -1 if none.</summary>
internal static class OldestEvictable
{
    public static int In(in HandleList list, TierView tier)
    {
        for (int h = list.Tail; h >= 0; h = list.Previous(h))
        {
            if (tier.IsEvictable(h))
            {
                return h;
            }
        }

        return -1;
    }

    public static int In(in TailFirstList list, TierView tier)
    {
        for (int h = list.Tail; h >= 0; h = list.Previous(h))
        {
            if (tier.IsEvictable(h))
            {
                return h;
            }
        }

        return -1;
    }
}
