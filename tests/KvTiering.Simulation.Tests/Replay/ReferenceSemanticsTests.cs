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
    //   s3fifo: 1 2 3 . 4 2 . 5 3 .  = 7 (small queue 1, main 2, ghost 2: at 4, hit 1 moves to main and 2 goes to the
    //           ghost; 2 comes back into main, evicting 3 to the ghost; at 5, 4 leaves; 3 comes back into main)
    private static readonly int[] s_ids = [1, 2, 3, 1, 4, 2, 1, 5, 3, 1];

    [Theory]
    [InlineData("lru", 7)]
    [InlineData("fifo", 7)]
    [InlineData("clock", 7)]
    [InlineData("sieve", 7)]
    [InlineData("belady", 5)]
    [InlineData("s3fifo", 7)]
    public void Reference_semantics_give_the_hand_computed_miss_counts(string policy, int misses)
    {
        Assert.Equal(misses, Misses(s_ids, EvictionPolicies.FromName(policy), capacity: 3));
    }

    // 1 1 2 3 2 1 3 2 through S-3FIFO with 2 slots, small = 0.5 (small queue 1, main 1, ghost 1). Worked by hand:
    //   threshold 1: 1 . 2 3 2 . 3 2 = 6. At 3 the small queue's 1 (hit once) moves to main and 2 goes to the ghost;
    //     2 returns from the ghost into main (3 goes to the ghost); 1 hits; 3 returns into main (1, hit, goes round
    //     once, 2 leaves main); 2 misses (1 leaves main).
    //   threshold 2: 1 . 2 3 . 1 . 2 = 5. At 3, 1 (one hit, below 2) leaves for the ghost; 2 hits in the small queue;
    //     1 returns into main (2, one hit, leaves for the ghost); 3 hits; 2 returns into main (3 leaves).
    // libCacheSim's S3FIFO cannot replay this one: it admits nothing to a small queue of one object (obj_size >=
    // fifo->cache_size), so it misses every reference (docs/harness.md).
    [Theory]
    [InlineData("s3fifo:small=0.5+threshold=1", 6)]
    [InlineData("s3fifo:small=0.5,threshold=2", 5)]
    public void S3fifo_settings_give_the_hand_computed_miss_counts(string policy, int misses)
    {
        Assert.Equal(misses, Misses([1, 1, 2, 3, 2, 1, 3, 2], Policies.AgentPolicyVariants.FromName(policy), capacity: 2));
    }

    [Fact]
    public void Wtinylfu_window_setting_of_libcachesim_is_the_default()
    {
        // 1 2 n 1 2 n' ...: two hot blocks and a stream of blocks never seen again, through 5 blocks. The hot pair
        // always wins the frequency duel, so only compulsory misses remain; window=0.01 is exactly the default.
        int[] ids = [.. Enumerable.Range(0, 60).Select(i => i % 3 == 2 ? 10 + i : 1 + (i % 3))];
        int byDefault = Misses(ids, EvictionPolicies.FromName("wtinylfu"), capacity: 5);
        Assert.Equal(byDefault, Misses(ids, Policies.AgentPolicyVariants.FromName("wtinylfu:window=0.01"), capacity: 5));
        Assert.Equal(22, byDefault); // 1 and 2 once each, then every third reference is new: 2 + 20
    }

    // libCacheSim's W-TinyLFU (wtinylfu:window=0.2,libcachesim=1) through 6 objects: window 1, probation 1,
    // protected 4; the sketch (72 counters, 10 hashes) halves every 32 × 5 = 160 hits in the main space. By hand:
    //   1..6: 6 misses, all in the window (no eviction until full).
    //   7: miss. The eviction moves 1 to probation and 2..5 to protected (lowest segment with room), each counted
    //      again (2); then 6 (1) duels probation's 1 (2), loses and leaves (2). 7 enters the window (1).
    //   2 3 4 5 1: hits. 2..5 go to 3; 1 (probation) goes to protected (3) and pushes protected's oldest, 2 (3),
    //      down to probation. 5 main hits.
    //   155 hits on 1 3 4 5: the 160th main hit halves every count: 2 → 1, 6 → 1, 7 → 0.
    //   6: miss. 7 (0) loses to 2 (1) and leaves; 6 enters the window (2).
    //   8: miss. 6 (2) beats 2 (1): 2 leaves, 6 enters probation (3); the window is now empty, so probation's oldest,
    //      6, leaves as well (libCacheSim's loop evicts until a window block leaves or the window is empty).
    //   9: miss, into the room 8's eviction left (the store evicts 2 only now). 2: miss.
    // 11 misses; libCacheSim's cachesim gives 0.0643 × 171 = 11 (`-e window-size=0.2`). Without the halving, 6 (3)
    // would tie 2 (3) at 8 and lose, 2 would stay and hit: 10.
    [Fact]
    public void Wtinylfu_libcachesim_gives_the_hand_computed_misses_with_admission_and_aging()
    {
        int[] ids = [1, 2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 1, .. Enumerable.Repeat(new[] { 1, 3, 4, 5 }, 38).SelectMany(x => x), 1, 3, 4, 6, 8, 9, 2];
        Assert.Equal(171, ids.Length);
        Assert.Equal(11, Misses(ids, Policies.AgentPolicyVariants.FromName("wtinylfu:window=0.2,libcachesim=1"), capacity: 6));
    }

    [Theory]
    [InlineData("s3fifo:small=1.5", "small-queue share 1.5 must lie between 0 and 1")]
    [InlineData("s3fifo:threshold=4", "threshold 4 must be 1, 2 or 3")]
    [InlineData("s3fifo:threshold=1.5", "not a whole number")]
    [InlineData("s3fifo:ghost=2", "Unknown setting 'ghost'")]
    [InlineData("wtinylfu:window=0", "window share 0 must lie between 0 and 1")]
    [InlineData("wtinylfu:window=big", "is not key=number")]
    [InlineData("wtinylfu:libcachesim=2", "libcachesim setting 2")]
    public void Bad_policy_settings_fail_naming_the_value(string policy, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => Policies.AgentPolicyVariants.FromName(policy));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    private static int Misses(int[] ids, EvictionPolicy policy, int capacity)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.txt", string.Join('\n', ids));
        Trace trace = ReferenceSemantics.Explode(TraceLoader.Load(file, TraceFormat.Txt, new TraceLoadOptions { UseCache = false }));
        ReplayResult result = Replayer.Run(trace, new ReplayOptions { Policy = policy, CapacityBlocks = capacity, Hints = false });
        return (int)Math.Round((1 - result.BlockHitRate) * ids.Length);
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
