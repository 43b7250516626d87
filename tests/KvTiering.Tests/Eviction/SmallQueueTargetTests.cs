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
        var ghosts = new S3FifoGhosts(100, target);
        Assert.Equal(10, target.Target);

        for (int block = 0; block < 60; block++)
        {
            ghosts.Evicted(Key(block), fromSmall: true);
        }

        for (int block = 0; block < 60; block++)
        {
            ghosts.OnMiss(Key(block)); // each a small-queue ghost: the small queue was too short for it
            Assert.True(ghosts.Admitted(Key(block))); // S3-FIFO's rule: a ghost of the small queue enters the main one
        }

        Assert.Equal(50, target.Target); // 10 + 60 steps of one, capped at half the capacity
        Assert.Equal(0, ghosts.SmallCount);

        ghosts.Evicted(Key(1000), fromSmall: false);
        ghosts.OnMiss(Key(1000)); // a main-queue ghost: the main queue was too short
        Assert.True(ghosts.Admitted(Key(1000))); // and it returns to the main queue
        Assert.Equal(49, target.Target);
        Assert.Equal(0, ghosts.MainCount);
    }

    [Fact]
    public void Without_the_option_the_small_queue_stays_at_a_tenth_and_only_s3fifo_s_own_ghost_is_kept()
    {
        var target = new SmallQueueTarget(100, maxShare: 0);
        var ghosts = new S3FifoGhosts(100, target);
        ghosts.Evicted(Key(1), fromSmall: true);
        ghosts.Evicted(Key(2), fromSmall: false);
        Assert.Equal(1, ghosts.SmallCount);
        Assert.Equal(0, ghosts.MainCount);

        ghosts.OnMiss(Key(1));
        Assert.True(ghosts.Admitted(Key(1))); // S3-FIFO's ghost still sends it to the main queue
        ghosts.OnMiss(Key(2));
        Assert.False(ghosts.Admitted(Key(2)));
        Assert.Equal(10, target.Target);
    }

    [Fact]
    public void The_small_queue_s_ghost_is_s3fifo_s_own_a_fifo_of_as_many_keys_as_the_main_queue_holds()
    {
        // Against a model: S3-FIFO's ghost (a FIFO set of 90 keys) and the learned target's main-queue ghost (another).
        var target = new SmallQueueTarget(100, maxShare: 0.5);
        var ghosts = new S3FifoGhosts(100, target);
        Assert.Equal(90, S3FifoGhosts.Capacity(100));
        var small = new List<int>();
        var main = new List<int>();
        var rng = new Random(5);
        for (int step = 0; step < 20_000; step++)
        {
            int k = rng.Next(400);
            if (rng.Next(2) == 0 && !small.Contains(k) && !main.Contains(k))
            {
                bool fromSmall = rng.Next(2) == 0;
                ghosts.Evicted(Key(k), fromSmall);
                List<int> list = fromSmall ? small : main;
                list.Add(k);
                if (list.Count > 90)
                {
                    list.RemoveAt(0);
                }
            }
            else
            {
                ghosts.OnMiss(Key(k));
                bool expected = small.Remove(k) | main.Remove(k);
                Assert.Equal(expected, ghosts.Admitted(Key(k)));
            }

            Assert.Equal(small.Count, ghosts.SmallCount);
            Assert.Equal(main.Count, ghosts.MainCount);
        }
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
        var ghosts = new S3FifoGhosts(1000, target);
        Requests(gate, count: 16, length: 200);
        Assert.False(gate.Open);

        for (int block = 0; block < 60; block++)
        {
            ghosts.Evicted(Key(block), fromSmall: false);
            ghosts.Evicted(Key(1000 + block), fromSmall: true);
            ghosts.OnMiss(Key(block));
            Assert.False(ghosts.Admitted(Key(block)));
            ghosts.OnMiss(Key(1000 + block));
            Assert.True(ghosts.Admitted(Key(1000 + block))); // S3-FIFO's own ghost works with the gate shut
        }

        Assert.Equal(100, target.Target); // shut: a fixed tenth, no main-queue ghosts kept, nothing learned
        Assert.Equal(0, ghosts.MainCount);

        Requests(gate, count: 1000, length: 10);
        Assert.True(gate.Open);
        for (int block = 0; block < 60; block++)
        {
            ghosts.Evicted(Key(block), fromSmall: true);
        }

        for (int block = 0; block < 60; block++)
        {
            ghosts.OnMiss(Key(block));
            ghosts.Admitted(Key(block));
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
