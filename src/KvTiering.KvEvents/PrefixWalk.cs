using System.Buffers;

namespace KvTiering.KvEvents;

/// <summary>The lookup of <see cref="ClusterPrefixIndex.Match"/>: one pass over the prompt's blocks.</summary>
internal static class PrefixWalk
{
    public static int Run(ClusterPrefixIndex index, ReadOnlySpan<ulong> blockHashes, Span<PrefixOverlap> destination)
    {
        if (blockHashes.IsEmpty || destination.IsEmpty)
        {
            return 0;
        }

        index.Lock.EnterReadLock();
        int[]? lead = null, tally = null, touched = null;
        PrefixOverlap[]? overlaps = null;
        try
        {
            if (!index.TryGetHolders(blockHashes[0], out BlockHolders? first))
            {
                return 0;
            }

            int instances = index.InstanceCount;
            lead = ArrayPool<int>.Shared.Rent(instances);
            lead.AsSpan(0, instances).Clear(); // a thousand ints: cheaper than tracking which ones an earlier lookup set
            tally = ArrayPool<int>.Shared.Rent(instances * MediumIndex.Count);
            touched = ArrayPool<int>.Shared.Rent(first!.Count);
            int found = 0;
            foreach (long item in first.Items)
            {
                int instance = (int)(item >> 8);
                touched[found++] = instance;
                lead[instance] = 1;
                tally.AsSpan(instance * MediumIndex.Count, MediumIndex.Count).Clear();
                tally[(instance * MediumIndex.Count) + MediumIndex.Fastest(item)]++;
            }

            for (int i = 1; i < blockHashes.Length; i++)
            {
                if (!index.TryGetHolders(blockHashes[i], out BlockHolders? holders))
                {
                    break;
                }

                int advanced = 0;
                foreach (long item in holders!.Items)
                {
                    int instance = (int)(item >> 8);
                    // Only an instance that held every block so far has lead == i.
                    if (instance < instances && lead[instance] == i)
                    {
                        lead[instance] = i + 1;
                        tally[(instance * MediumIndex.Count) + MediumIndex.Fastest(item)]++;
                        advanced++;
                    }
                }

                if (advanced == 0)
                {
                    break;
                }
            }

            int written = Math.Min(found, destination.Length);
            overlaps = ArrayPool<PrefixOverlap>.Shared.Rent(found);
            Span<PrefixOverlap> all = overlaps.AsSpan(0, found);
            for (int k = 0; k < found; k++)
            {
                int instance = touched[k];
                int t = instance * MediumIndex.Count;
                all[k] = new PrefixOverlap(instance, lead[instance], tally[t], tally[t + 1], tally[t + 2], tally[t + 3]);
            }

            all.Sort(static (a, b) => b.Blocks != a.Blocks ? b.Blocks.CompareTo(a.Blocks) : a.Instance.CompareTo(b.Instance));
            all[..written].CopyTo(destination);
            return written;
        }
        finally
        {
            index.Lock.ExitReadLock();
            Return(lead);
            Return(tally);
            Return(touched);
            if (overlaps is not null)
            {
                ArrayPool<PrefixOverlap>.Shared.Return(overlaps);
            }
        }
    }

    private static void Return(int[]? array)
    {
        if (array is not null)
        {
            ArrayPool<int>.Shared.Return(array);
        }
    }
}
