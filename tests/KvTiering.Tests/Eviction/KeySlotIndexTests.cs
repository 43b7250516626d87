using KvTiering.Blocks;
using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class KeySlotIndexTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Answers_every_lookup_as_a_dictionary_would_through_churn_with_colliding_keys(bool bySlot)
    {
        // Few distinct keys whose low bits collide, so probe runs are long and removals shift them back.
        var keys = new BlockKey[40];
        var index = new KeySlotIndex(keys);
        var model = new Dictionary<BlockKey, int>();
        var free = new Stack<int>(Enumerable.Range(0, keys.Length).Reverse());
        var rng = new Random(17);
        for (int step = 0; step < 20_000; step++)
        {
            var key = new BlockKey((ulong)rng.Next(64) << 40, 9);
            if (model.TryGetValue(key, out int slot))
            {
                Assert.Equal(slot, index.Find(key));
                if (rng.Next(2) == 0)
                {
                    if (bySlot)
                    {
                        index.RemoveSlot(slot); // the slot's bucket, kept through every backward shift
                    }
                    else
                    {
                        Assert.True(index.Remove(key));
                    }

                    model.Remove(key);
                    free.Push(slot);
                }
            }
            else
            {
                Assert.Equal(-1, index.Find(key));
                Assert.False(index.Remove(key));
                if (free.Count > 0)
                {
                    int s = free.Pop();
                    keys[s] = key;
                    index.Add(s);
                    model[key] = s;
                }
            }

            foreach ((BlockKey k, int s) in model)
            {
                Assert.Equal(s, index.Find(k));
            }
        }
    }

    [Fact]
    public void A_moved_entry_is_found_at_its_new_slot_and_removed_from_there()
    {
        var keys = new BlockKey[8];
        var index = new KeySlotIndex(keys);
        for (int s = 0; s < 4; s++)
        {
            keys[s] = new BlockKey((ulong)s << 40, 9); // one home bucket for all: a single probe run
            index.Add(s);
        }

        keys[6] = keys[1];
        index.Move(1, 6);
        Assert.Equal(6, index.Find(keys[6]));
        index.RemoveSlot(0); // shifts the run back, the moved entry with it
        Assert.Equal(6, index.Find(keys[6]));
        Assert.Equal(2, index.Find(keys[2]));
        index.RemoveSlot(6);
        Assert.Equal(-1, index.Find(keys[6]));
        Assert.Equal(3, index.Find(keys[3]));
    }
}
