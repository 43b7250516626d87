using KvTiering.Blocks;
using KvTiering.Eviction;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class GhostPairTests
{
    [Fact]
    public void Each_list_forgets_its_own_oldest_key_when_full()
    {
        var ghosts = new GhostPair(2);
        ghosts.AddAbsent(Key(0), first: true);
        ghosts.AddAbsent(Key(1), first: false);
        ghosts.AddAbsent(Key(2), first: true);
        ghosts.AddAbsent(Key(3), first: true); // the first list is full: Key(0) goes, the second keeps Key(1)
        Assert.Equal(2, ghosts.FirstCount);
        Assert.Equal(1, ghosts.SecondCount);
        Assert.Equal(-1, ghosts.Find(Key(0)));
        Assert.False(ghosts.IsFirst(ghosts.Find(Key(1))));
        Assert.True(ghosts.IsFirst(ghosts.Find(Key(2))) && ghosts.IsFirst(ghosts.Find(Key(3))));
    }

    [Fact]
    public void A_cell_found_earlier_holds_its_key_only_until_it_is_forgotten()
    {
        var ghosts = new GhostPair(1);
        ghosts.AddAbsent(Key(0), first: true);
        int cell = ghosts.Find(Key(0));
        Assert.True(ghosts.Holds(cell, Key(0)));
        Assert.True(ghosts.RemoveOldest(first: true));
        Assert.False(ghosts.Holds(cell, Key(0))); // freed
        ghosts.AddAbsent(Key(1), first: true);     // the same cell, another key
        Assert.Equal(cell, ghosts.Find(Key(1)));
        Assert.False(ghosts.Holds(cell, Key(0)));
        Assert.False(ghosts.RemoveOldest(first: false));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Agrees_with_two_queue_models_and_shares_its_index_with_the_owners_cells_whose_keys_it_takes_over(bool shared)
    {
        // Shared: cells 0..7 of the key array are the owner's (a shadow's resident blocks), indexed beside the ghosts.
        const int Capacity = 12;
        const int Owned = 8;
        var keys = new BlockKey[Owned + (2 * Capacity)];
        KeySlotIndex? index = shared ? new KeySlotIndex(keys) : null;
        GhostPair ghosts = shared ? new GhostPair(Capacity, keys, index, first: Owned) : new GhostPair(Capacity);
        var first = new List<int>();  // oldest first
        var second = new List<int>();
        var owned = new Dictionary<int, int>(); // key → owner's cell
        var rng = new Random(11);
        for (int step = 0; step < 20_000; step++)
        {
            // Keys whose low bits collide often, so probe runs are long and removals shift them back.
            int k = rng.Next(60);
            BlockKey key = Collide(k);
            int cell = ghosts.Find(key);
            Assert.Equal(first.Contains(k) || second.Contains(k), cell >= 0);
            if (owned.TryGetValue(k, out int mine))
            {
                Assert.Equal(-1, cell);
                Assert.Equal(mine, index!.Find(key)); // the owner's cell, in the same index
                int way = rng.Next(3);
                if (way == 0)
                {
                    index.RemoveSlot(mine);
                    owned.Remove(k);
                }
                else if (way == 1)
                {
                    // The owner's block is evicted: its key becomes a ghost, taking over its index entry.
                    bool toFirst = rng.Next(2) == 0;
                    Assert.True(ghosts.AddFrom(mine, toFirst));
                    owned.Remove(k);
                    List<int> list = toFirst ? first : second;
                    if (list.Count == Capacity)
                    {
                        list.RemoveAt(0);
                    }

                    list.Add(k);
                    Assert.Equal(toFirst, ghosts.IsFirst(ghosts.Find(key)));
                }

                continue;
            }

            if (cell >= 0)
            {
                Assert.Equal(first.Contains(k), ghosts.IsFirst(cell));
                Assert.True(ghosts.Holds(cell, key));
                if (rng.Next(3) == 0)
                {
                    ghosts.Forget(cell);
                    Assert.True(first.Remove(k) || second.Remove(k));
                }

                continue;
            }

            int action = rng.Next(shared ? 5 : 4);
            if (action == 4)
            {
                int free = Enumerable.Range(0, Owned).FirstOrDefault(c => !owned.ContainsValue(c), -1);
                if (free >= 0)
                {
                    keys[free] = key;
                    index!.Add(free);
                    owned[k] = free;
                }
            }
            else if (action == 3)
            {
                bool fromFirst = rng.Next(2) == 0;
                Assert.Equal((fromFirst ? first : second).Count > 0, ghosts.RemoveOldest(fromFirst));
                if ((fromFirst ? first : second).Count > 0)
                {
                    (fromFirst ? first : second).RemoveAt(0);
                }
            }
            else
            {
                List<int> list = action == 0 ? second : first;
                ghosts.AddAbsent(key, first: action != 0);
                if (list.Count == Capacity)
                {
                    list.RemoveAt(0);
                }

                list.Add(k);
            }

            Assert.Equal(first.Count, ghosts.FirstCount);
            Assert.Equal(second.Count, ghosts.SecondCount);
        }
    }

    [Fact]
    public void A_zero_capacity_pair_remembers_nothing()
    {
        var ghosts = new GhostPair(0);
        ghosts.AddAbsent(Key(1), first: true);
        Assert.Equal(0, ghosts.FirstCount);
        Assert.Equal(-1, ghosts.Find(Key(1)));
        Assert.False(ghosts.RemoveOldest(first: false));
    }

    private static BlockKey Collide(int k) => new((ulong)k << 40, 9);
}
