using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.Tests.Store;

public sealed class ProbeEndsTests
{
    [Fact]
    public void A_key_added_at_its_held_probe_end_is_found_and_a_fresh_add_there_takes_the_hold_away()
    {
        var table = new BlockTable(64);
        ProbeEnds ends = table.TrackProbeEnds();
        var a = new BlockKey(1, 3);
        var b = new BlockKey(2, 3);
        Assert.Equal(-1, table.Find(a));
        int endA = table.LastMissBucket;
        Assert.True(ends.Mark(endA));
        Assert.False(ends.Mark(endA)); // a second key ending there is told it is not the first

        int e = table.Add(a, BlockKey.Empty, 0, 0, long.MaxValue, end: endA);
        Assert.Equal(e, table.Find(a));

        // b's probe ends somewhere; a fresh (probing) add of another key into that bucket clears its bit.
        Assert.Equal(-1, table.Find(b));
        int endB = table.LastMissBucket;
        ends.Mark(endB);
        int other = table.Add(b, BlockKey.Empty, 0, 0, long.MaxValue);
        Assert.False(ends.Holds(endB));
        Assert.Equal(other, table.Find(b));
    }

    [Fact]
    public void Requests_offered_with_held_probe_ends_keep_the_index_exact_through_evictions_and_shifts()
    {
        // The outright loop's pattern on a small table with colliding keys (long probe runs, many backward shifts):
        // a request's absent keys are looked up first (each unique end marked), then offered in order, each miss
        // evicting a random resident key when the table is full, and a unique key whose end is still held is added
        // there without probing. After every step the index must match a model exactly.
        var table = new BlockTable(48);
        ProbeEnds ends = table.TrackProbeEnds();
        int mask = table.BucketCount - 1;
        List<BlockKey>[] colliders = Colliders(mask, 30);
        var model = new Dictionary<BlockKey, int>();
        var rng = new Random(5);
        int held = 0;
        int lost = 0;
        var keys = new List<BlockKey>();
        var unique = new List<bool>();
        var endOf = new List<int>();
        for (int request = 0; request < 3_000; request++)
        {
            keys.Clear();
            unique.Clear();
            endOf.Clear();
            int length = rng.Next(1, 24);
            for (int i = 0; i < length; i++)
            {
                // Keys with shared home buckets, some repeated within the request.
                BlockKey key = i > 0 && rng.Next(8) == 0 ? keys[rng.Next(i)] : colliders[rng.Next(48)][rng.Next(30)];
                keys.Add(key);
                bool absent = table.Find(key) < 0;
                int end = absent ? table.LastMissBucket : -1;
                endOf.Add(end);
                unique.Add(absent && ends.Mark(end));
            }

            for (int i = 0; i < keys.Count; i++)
            {
                BlockKey key = keys[i];
                if (model.ContainsKey(key))
                {
                    continue;
                }

                if (table.Count == table.Capacity)
                {
                    BlockKey victim = model.Keys.ElementAt(rng.Next(model.Count));
                    table.Remove(model[victim]);
                    model.Remove(victim);
                }

                int hint = unique[i] && ends.Holds(endOf[i]) ? endOf[i] : -1;
                held += hint >= 0 ? 1 : 0;
                lost += unique[i] && hint < 0 ? 1 : 0;
                model[key] = table.Add(key, BlockKey.Empty, i, 0, long.MaxValue, end: hint);
                foreach ((BlockKey k, int e) in model)
                {
                    Assert.Equal(e, table.Find(k));
                    Assert.Equal(e, table.FindOptimistic(k));
                }
            }

            foreach (int end in endOf)
            {
                if (end >= 0)
                {
                    ends.ForgetWordOf(end);
                }
            }
        }

        for (int b = 0; b <= mask; b++)
        {
            Assert.False(ends.Holds(b), "every bit is cleared between requests");
        }

        Assert.True(held > 1000, $"most unique misses are added at their end ({held})");
        Assert.True(lost > 10, $"some lose their hold to another add or a shift ({lost})");
    }

    private static List<BlockKey>[] Colliders(int mask, int perHome)
    {
        // Keys whose home bucket is one of 48 buckets five apart, perHome each, found by scanning key values: runs of
        // colliding keys that merge into longer ones as the table fills.
        var keys = new List<BlockKey>[48];
        for (int h = 0; h < keys.Length; h++)
        {
            keys[h] = [];
        }

        for (ulong low = 1; keys.Any(k => k.Count < perHome); low++)
        {
            var key = new BlockKey(low, 9);
            int home = BlockIndex.Hash(key) & mask;
            int h = home / 5;
            if (home % 5 == 0 && h < keys.Length && keys[h].Count < perHome)
            {
                keys[h].Add(key);
            }
        }

        return keys;
    }
}
