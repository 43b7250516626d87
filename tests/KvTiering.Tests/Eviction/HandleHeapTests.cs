using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class HandleHeapTests
{
    [Fact]
    public void Agrees_with_a_sorted_model_under_random_sets_removes_and_pops()
    {
        const int Capacity = 64;
        var heap = new HandleHeap<long>(Capacity);
        var model = new Dictionary<int, long>();
        var rng = new Random(11);
        for (int step = 0; step < 20_000; step++)
        {
            int h = rng.Next(Capacity);
            int op = rng.Next(10);
            if (op < 5)
            {
                long key = rng.Next(1000);
                heap.Set(h, key);
                model[h] = key;
            }
            else if (op < 8)
            {
                heap.Remove(h);
                model.Remove(h);
            }
            else
            {
                int top = heap.Pop();
                if (model.Count == 0)
                {
                    Assert.Equal(-1, top);
                }
                else
                {
                    Assert.Equal(model.Values.Min(), model[top]);
                    model.Remove(top);
                }
            }

            Assert.Equal(model.Count, heap.Count);
            Assert.Equal(model.ContainsKey(h), heap.Contains(h));
        }
    }

    [Fact]
    public void Stashed_handles_come_back_with_their_keys()
    {
        var heap = new HandleHeap<double>(8);
        heap.Set(0, 3.0);
        heap.Set(1, 1.0);
        heap.Set(2, 2.0);
        heap.StashTop();
        heap.StashTop();
        Assert.Equal(0, heap.Top);
        heap.Unstash();
        Assert.Equal(3, heap.Count);
        Assert.Equal(1, heap.Pop());
        Assert.Equal(2, heap.Pop());
        Assert.Equal(0, heap.Pop());
        Assert.Equal(-1, heap.Pop());
    }
}
