using KvTiering.Eviction;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class GhostSetTests
{
    [Fact]
    public void Forgets_the_oldest_key_when_full()
    {
        var ghost = new GhostSet(3);
        ghost.Add(Key(0));
        ghost.Add(Key(1));
        ghost.Add(Key(2));
        ghost.Add(Key(3));
        Assert.Equal(3, ghost.Count);
        Assert.False(ghost.Contains(Key(0)));
        Assert.True(ghost.Contains(Key(1)) && ghost.Contains(Key(2)) && ghost.Contains(Key(3)));
    }

    [Fact]
    public void A_key_removed_from_the_middle_frees_its_place()
    {
        var ghost = new GhostSet(3);
        ghost.Add(Key(0));
        ghost.Add(Key(1));
        ghost.Add(Key(2));
        Assert.True(ghost.Remove(Key(1)));
        Assert.False(ghost.Remove(Key(1)));
        ghost.Add(Key(3)); // room: nothing forgotten
        Assert.True(ghost.Contains(Key(0)));
        Assert.True(ghost.RemoveOldest());
        Assert.False(ghost.Contains(Key(0)));
        Assert.True(ghost.Contains(Key(2)) && ghost.Contains(Key(3)));
    }

    [Fact]
    public void Agrees_with_a_queue_model_under_random_operations()
    {
        const int Capacity = 16;
        var ghost = new GhostSet(Capacity);
        var model = new List<int>(); // oldest first
        var rng = new Random(5);
        for (int step = 0; step < 20_000; step++)
        {
            int k = rng.Next(48);
            if (rng.Next(3) > 0)
            {
                ghost.Add(Key(k));
                if (!model.Contains(k))
                {
                    if (model.Count == Capacity)
                    {
                        model.RemoveAt(0);
                    }

                    model.Add(k);
                }
            }
            else
            {
                Assert.Equal(model.Remove(k), ghost.Remove(Key(k)));
            }

            Assert.Equal(model.Count, ghost.Count);
            for (int j = 0; j < 48; j++)
            {
                Assert.Equal(model.Contains(j), ghost.Contains(Key(j)));
            }
        }
    }

    [Fact]
    public void A_zero_capacity_set_remembers_nothing()
    {
        var ghost = new GhostSet(0);
        ghost.Add(Key(1));
        Assert.Equal(0, ghost.Count);
        Assert.False(ghost.Contains(Key(1)));
        Assert.False(ghost.RemoveOldest());
    }
}
