using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

public sealed class ReferenceSemanticsTests
{
    // 1 2 3 1 4 2 1 5 3 1 through a cache of 3 objects. Misses worked by hand:
    //   lru:    1 2 3 . 4 2 . 5 3 .  = 7 (evicts 2, 3, 4, 2)
    //   fifo:   1 2 3 . 4 . 1 5 3 .  = 7 (evicts 1, 2, 3, 4)
    //   clock:  1 2 3 . 4 2 . 5 3 .  = 7 (1's bit saves it twice)
    //   sieve:  1 2 3 . 4 2 . 5 3 .  = 7 (the hand passes visited 1, evicts 2, 3, 4, 2)
    //   belady: 1 2 3 . 4 . . 5 . .  = 5 (4 and 5 are never reused, so they bypass; only compulsory misses)
    private static readonly int[] s_ids = [1, 2, 3, 1, 4, 2, 1, 5, 3, 1];

    [Theory]
    [InlineData("lru", 7)]
    [InlineData("fifo", 7)]
    [InlineData("clock", 7)]
    [InlineData("sieve", 7)]
    [InlineData("belady", 5)]
    public void Reference_semantics_give_the_hand_computed_miss_counts(string policy, int misses)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.txt", string.Join('\n', s_ids));
        Trace trace = ReferenceSemantics.Explode(TraceLoader.Load(file, TraceFormat.Txt, new TraceLoadOptions { UseCache = false }));
        ReplayResult result = Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicies.FromName(policy), CapacityBlocks = 3, Hints = false });
        Assert.Equal(1.0 - (misses / 10.0), result.BlockHitRate, 12);
    }

    [Fact]
    public void Exploding_a_prefix_trace_drops_the_chain_but_keeps_every_reference()
    {
        var trace = new Trace("t", 16, [0, 1], [7, 7], [32, 48], [1, 1], [0, 2, 5], [0, 1, 0, 1, 2], 3);
        Trace exploded = ReferenceSemantics.Explode(trace);
        Assert.Equal([[0], [1], [0], [1], [2]], TraceAssert.Requests(exploded));
        Assert.Equal([0.0, 0, 1, 1, 1], exploded.Time);
        Assert.All(exploded.Session, s => Assert.Equal(7, s));
        Assert.All(exploded.InputTokens, t => Assert.Equal(16, t));
    }
}
