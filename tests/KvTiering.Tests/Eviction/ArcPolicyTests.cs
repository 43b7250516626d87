using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class ArcPolicyTests
{
    private const int A = 0, B = 1, C = 2, D = 3, E = 4, X = 5;

    [Fact]
    public void Blocks_seen_twice_survive_a_scan_that_flushes_lru()
    {
        using TieredKvStore arc = CreateMetadata(EvictionPolicies.Arc, 4);
        using TieredKvStore lru = CreateMetadata(EvictionPolicy.Lru, 4);
        foreach (TieredKvStore store in new[] { arc, lru })
        {
            Put(store, A);
            Put(store, B);
            Put(store, A); // A and B move to T2
            Put(store, B);
            for (int i = 100; i < 110; i++)
            {
                Put(store, i);
            }
        }

        Assert.True(arc.Contains(Key(A)) && arc.Contains(Key(B)));
        Assert.False(lru.Contains(Key(A)) || lru.Contains(Key(B)));
    }

    [Fact]
    public void Ghost_hits_in_B1_grow_T1_at_the_expense_of_T2()
    {
        using TieredKvStore adapted = CreateMetadata(EvictionPolicies.Arc, 4);
        using TieredKvStore unadapted = CreateMetadata(EvictionPolicies.Arc, 4);
        foreach (TieredKvStore store in new[] { adapted, unadapted })
        {
            Put(store, A);
            Put(store, B);
            Put(store, A);
            Put(store, B); // T2 = {A, B}
            Put(store, C);
            Put(store, D); // T1 = {C, D}
            Put(store, E); // C goes to B1
        }

        // Recency pays: C and D come back while their keys are in B1, and each ghost hit raises p (to 2).
        Put(adapted, C); // p = 1; D goes to B1
        Put(adapted, D); // p = 2; T1 = {E} is within its target, so T2's oldest (A) goes
        Put(adapted, X); // still within the target: T2's oldest (B) goes, E stays

        Put(unadapted, X); // p = 0: T1 is over its target, so T1's oldest (D) goes and T2 stays

        Assert.Equal([false, false, true, true, true, true], Resident(adapted, 6));
        Assert.Equal([true, true, false, false, true, true], Resident(unadapted, 6));
    }

    [Theory]
    [InlineData(false, 1.5, 0.5)] // real steps (the default; libCacheSim's ARC.c): p += 3 / 2, then p -= max(1, 2 / 3)
    [InlineData(true, 1.0, 0.0)] // whole steps (the agent's session-less pool): p += 3 / 2 = 1, then p -= 1
    public void Ghost_hits_adapt_p_by_the_ratio_of_the_ghost_lists(bool wholeSteps, double afterB1Hit, double afterB2Hit)
    {
        var directory = new ArcDirectory(10, wholeSteps);
        directory.Evicted(Key(A), fromT1: true);
        directory.Evicted(Key(B), fromT1: true);
        directory.Evicted(Key(C), fromT1: false);
        directory.Evicted(Key(D), fromT1: false);
        directory.Evicted(Key(E), fromT1: false);

        directory.OnMiss(Key(A)); // a B1 ghost: |B2| / |B1| = 3 / 2
        Assert.Equal(afterB1Hit, directory.TargetT1);
        directory.OnMiss(Key(C)); // a B2 ghost: max(1, |B1| / |B2|) = 1
        Assert.Equal(afterB2Hit, directory.TargetT1);
    }

    [Fact]
    public void Admitted_after_a_miss_answers_as_a_fresh_lookup_even_when_the_ghost_was_dropped_or_re_added()
    {
        var directory = new ArcDirectory(2);
        directory.Evicted(Key(A), fromT1: true);
        directory.Evicted(Key(B), fromT1: false);

        directory.OnMiss(Key(A)); // a B1 ghost
        Assert.True(directory.Admitted(Key(A)));
        Assert.False(directory.Admitted(Key(A))); // removed: no longer a ghost

        directory.OnMiss(Key(C)); // no ghost
        directory.Evicted(Key(C), fromT1: true); // but it becomes one before it is admitted (not a real sequence)
        Assert.True(directory.Admitted(Key(C)));

        directory.OnMiss(Key(B)); // a B2 ghost, dropped before it is admitted
        directory.Trim(t1Count: 0, t2Count: 4);
        Assert.False(directory.Admitted(Key(B)));

        directory.Evicted(Key(D), fromT1: false);
        directory.OnMiss(Key(E));
        Assert.True(directory.Admitted(Key(D))); // another key than the miss's is looked up afresh
    }

    [Fact]
    public void A_miss_found_in_no_ghost_list_is_still_a_ghost_when_evicted_before_its_insert()
    {
        // Admitted skips the ghost probes for the key OnMiss found in neither list; an eviction of that very key in
        // between (a re-put of a resident block) must still count, as in the paper.
        var directory = new ArcDirectory(10);
        directory.OnMiss(Key(A));
        directory.Evicted(Key(B), fromT1: true);
        Assert.False(directory.Admitted(Key(A)));

        directory.OnMiss(Key(C));
        directory.Evicted(Key(C), fromT1: true);
        Assert.True(directory.Admitted(Key(C)));

        directory.OnMiss(Key(D));
        Assert.True(directory.Admitted(Key(B))); // another key than the miss's: probed as before
        Assert.False(directory.Admitted(Key(D)));
    }
}
