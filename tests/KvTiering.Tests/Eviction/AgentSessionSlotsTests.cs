using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class AgentSessionSlotsTests
{
    [Fact]
    public void Keeps_every_field_of_every_session_through_growth_past_the_first_array()
    {
        // Records live in one array grown in one place: a field written before the growth must read back after it.
        var slots = new AgentSessionSlots();
        var slotOf = new Dictionary<long, int>();
        for (long id = 1; id <= 1000; id++)
        {
            int slot = slots.Take(id);
            Assert.NotEqual(0, slot); // slot 0 is the shared segment
            slots[slot].Id = id;
            slots[slot].Gap = id * 0.5;
            slots[slot].UserAnswers = (int)id;
            slotOf[id] = slot;
        }

        Assert.Equal(1000, slotOf.Values.Distinct().Count());
        foreach ((long id, int slot) in slotOf)
        {
            Assert.True(slots.TryFind(id, out int found));
            Assert.Equal(slot, found);
            Assert.Equal(id, slots[slot].Id);
            Assert.Equal(id * 0.5, slots[slot].Gap);
            Assert.Equal((int)id, slots[slot].UserAnswers);
        }
    }

    [Fact]
    public void Reuses_a_freed_slot_and_forgets_its_session()
    {
        var slots = new AgentSessionSlots();
        int a = slots.Take(7);
        slots[a].Id = 7;
        int b = slots.Take(8);
        slots[b].Id = 8;
        slots.Free(a);
        Assert.False(slots.TryFind(7, out _));
        Assert.True(slots.TryFind(8, out _));
        Assert.Equal(a, slots.Take(9));
    }

    [Fact]
    public void Visits_exactly_the_slots_that_hold_blocks_in_slot_order_across_words()
    {
        var slots = new AgentSessionSlots();
        for (long id = 1; id <= 300; id++)
        {
            slots[slots.Take(id)].Id = id;
        }

        int[] holding = [1, 63, 64, 65, 127, 128, 200, 299];
        foreach (int s in holding)
        {
            slots.MarkHolding(s);
        }

        slots.MarkHolding(100);
        slots.ClearHolding(100);
        var visited = new List<int>();
        for (int s = slots.NextHolding(0); s >= 0; s = slots.NextHolding(s + 1))
        {
            visited.Add(s);
        }

        Assert.Equal(holding, visited);
        Assert.Equal(-1, slots.NextHolding(300));
    }
}
