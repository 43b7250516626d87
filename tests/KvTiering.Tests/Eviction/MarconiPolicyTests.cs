using KvTiering.Eviction;
using static KvTiering.Tests.Eviction.PolicyTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class MarconiPolicyTests
{
    [Fact]
    public void A_deep_block_outlives_a_more_recent_shallow_one()
    {
        using var s = new TimedStore(EvictionPolicy.Create("marconi-2", static () => new MarconiPolicy(2)), 2);
        Put(s.Store, 0, depth: 500, session: 1);
        s.Advance(1);
        Put(s.Store, 1, depth: 0, session: 2);
        s.Advance(1);
        Put(s.Store, 2, depth: 0, session: 3); // 0 scores 0 + 2 × 1, 1 scores 1 + 0: 1 goes

        Assert.Equal([true, false, true], Resident(s.Store, 3));
    }

    [Fact]
    public void Only_leaves_are_candidates()
    {
        using var s = new TimedStore(EvictionPolicy.Create("marconi-0", static () => new MarconiPolicy(0)), 3);
        Put(s.Store, 0, depth: 0, session: 1);
        s.Advance(1);
        Put(s.Store, 1, depth: 1, session: 1, parent: 0);
        s.Advance(1);
        Put(s.Store, 2, depth: 0, session: 2);
        s.Advance(1);
        Put(s.Store, 3, depth: 0, session: 3); // 0 is least recent but has a child: the oldest leaf, 1, goes

        Assert.Equal([true, false, true, true], Resident(s.Store, 4));
    }

    [Fact]
    public void Flop_efficiency_grows_with_depth()
    {
        Assert.True(MarconiPolicy.FlopEfficiency(1000) > MarconiPolicy.FlopEfficiency(10));
        Assert.True(MarconiPolicy.FlopEfficiency(0) >= 1);
    }
}
