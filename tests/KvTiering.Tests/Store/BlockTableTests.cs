using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.Tests.Store;

public sealed class BlockTableTests
{
    [Fact]
    public void The_top_tier_slot_read_from_the_bucket_follows_every_place_and_removal()
    {
        // Churn a small table (many backward shifts) and check the lock-free lookup against a model after each step.
        var table = new BlockTable(64);
        var model = new Dictionary<BlockKey, (int Entry, int Tier, int Slot)>();
        var rng = new Random(11);
        for (int step = 0; step < 20_000; step++)
        {
            // Few distinct keys with colliding low bits, so probe runs are long and deletions shift them.
            var key = new BlockKey((ulong)rng.Next(96) << 40, 7);
            int op = rng.Next(3);
            if (model.TryGetValue(key, out var placed))
            {
                if (op == 0)
                {
                    table.Remove(placed.Entry);
                    model.Remove(key);
                }
                else
                {
                    int tier = rng.Next(-1, 3);
                    int slot = tier < 0 ? -1 : rng.Next(1000);
                    table.Place(placed.Entry, tier, slot);
                    model[key] = (placed.Entry, tier, slot);
                }
            }
            else if (table.Count < table.Capacity)
            {
                int e = table.Add(key, BlockKey.Empty, 0, 0, long.MaxValue);
                table.Place(e, 0, step % 1000);
                model[key] = (e, 0, step % 1000);
            }

            foreach ((BlockKey k, (int entry, int tier, int slot)) in model)
            {
                Assert.Equal(entry, table.FindOptimistic(k, out int topSlot));
                Assert.Equal(tier == 0 ? slot : -1, topSlot);
            }
        }
    }
}
