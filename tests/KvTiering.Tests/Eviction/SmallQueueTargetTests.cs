using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>
/// Rule 11's learned small queue (<c>agent:anonadaptive</c>): S3-FIFO's small queue grows on hits of its own ghosts,
/// shrinks on hits of the main queue's, never past its cap, and stays at a tenth when the option is off.
/// </summary>
public sealed class SmallQueueTargetTests
{
    [Fact]
    public void Ghost_hits_of_the_small_queue_grow_it_up_to_its_cap_and_ghost_hits_of_the_main_queue_shrink_it()
    {
        var target = new SmallQueueTarget(100, maxShare: 0.5);
        Assert.Equal(10, target.Target);

        for (int block = 0; block < 60; block++)
        {
            target.Evicted(Key(block), fromSmall: true);
        }

        for (int block = 0; block < 60; block++)
        {
            target.OnMiss(Key(block)); // each a small-queue ghost: the small queue was too short for it
            target.Admitted(Key(block));
        }

        Assert.Equal(50, target.Target); // 10 + 60 steps of one, capped at half the capacity

        target.Evicted(Key(1000), fromSmall: false);
        target.OnMiss(Key(1000)); // a main-queue ghost: the main queue was too short
        Assert.True(target.Admitted(Key(1000))); // and it returns to the main queue
        Assert.Equal(49, target.Target);
    }

    [Fact]
    public void Without_the_option_the_small_queue_stays_at_a_tenth()
    {
        var target = new SmallQueueTarget(100, maxShare: 0);
        target.Evicted(Key(1), fromSmall: true);
        target.OnMiss(Key(1));

        Assert.False(target.Admitted(Key(1)));
        Assert.Equal(10, target.Target);
    }

    [Fact]
    public void The_setting_parses_and_a_negative_cap_is_rejected_by_its_value()
    {
        Assert.Equal("agent:anonadaptive=0.5", AgentPolicyVariants.FromName("agent:anonadaptive=0.5").Name);
        ArgumentException error = Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:anonadaptive=-1"));
        Assert.Contains("anonadaptive=-1", error.Message, StringComparison.Ordinal);
    }
    [Fact]
    public void Behind_a_shut_gate_the_small_queue_stays_at_a_tenth_and_learns_once_requests_are_small()
    {
        var gate = new RequestSizeGate(capacity: 1000, ratio: 50); // open while the mean request is at most 20 blocks
        var target = new SmallQueueTarget(1000, maxShare: 0.5, gate);
        Requests(gate, count: 16, length: 200);
        Assert.False(gate.Open);

        for (int block = 0; block < 60; block++)
        {
            target.Evicted(Key(block), fromSmall: true);
            target.OnMiss(Key(block));
            Assert.False(target.Admitted(Key(block)));
        }

        Assert.Equal(100, target.Target); // shut: a fixed tenth, no ghosts kept, nothing learned

        Requests(gate, count: 1000, length: 10);
        Assert.True(gate.Open);
        for (int block = 0; block < 60; block++)
        {
            target.Evicted(Key(block), fromSmall: true);
        }

        for (int block = 0; block < 60; block++)
        {
            target.OnMiss(Key(block));
            target.Admitted(Key(block));
        }

        Assert.Equal(160, target.Target); // open: 60 steps of one from the tenth

        Requests(gate, count: 1000, length: 200);
        Assert.False(gate.Open);
        Assert.Equal(100, target.Target); // shut again: back to the tenth
    }

    [Fact]
    public void The_gate_measures_requests_by_depth_and_stays_shut_until_eight_have_ended()
    {
        var gate = new RequestSizeGate(capacity: 1000, ratio: 50);
        Requests(gate, count: 8, length: 5);
        Assert.False(gate.Open); // seven have ended: a request ends when the next one starts at a depth no deeper
        gate.Reference(0);
        Assert.True(gate.Open);
        Assert.Equal(5, gate.MeanRequest);

        Requests(gate, count: 1000, length: 40);
        Assert.False(gate.Open); // 40 blocks > 1000 / 50
        Assert.InRange(gate.MeanRequest, 39.0, 40.0);
    }

    [Fact]
    public void The_gate_setting_parses()
    {
        Assert.Equal("agent:anonadaptive=0.5+anongate=50", AgentPolicyVariants.FromName("agent:anonadaptive=0.5+anongate=50").Name);
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:anongate=-1"));
    }

    /// <summary><paramref name="count"/> requests of <paramref name="length"/> blocks at depths 0, 1, …</summary>
    private static void Requests(RequestSizeGate gate, int count, int length)
    {
        for (int r = 0; r < count; r++)
        {
            for (int depth = 0; depth < length; depth++)
            {
                gate.Reference(depth);
            }
        }
    }
}
