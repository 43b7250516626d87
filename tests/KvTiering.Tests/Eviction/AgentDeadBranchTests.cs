using KvTiering.Simulation.Policies;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>The agent policy once a session's dead branch is used up.</summary>
public sealed class AgentDeadBranchTests
{
    [Theory]
    [InlineData("agent", true)]
    [InlineData("agent:recheck=false", false)]
    public void Once_a_dead_branch_is_gone_the_sessions_are_ranked_again(string policy, bool recheck)
    {
        // Session 1 leaves its blocks 10..19 for another branch; session 3, new, then offers 15 blocks. The 10 dead
        // blocks go first; the room for the other 5 must come from the session expected back last (session 3 itself,
        // on probation, so its tail is declined), not from session 1's live branch, which was the victim only because
        // of its dead blocks.
        var time = new FakeTimeProvider();
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = time };
        options.Tiers.Add(new TierOptions(Profile("hbm"), 40) { Policy = AgentPolicyVariants.FromName(policy) });
        using var store = new TieredKvStore(options);
        Request(store, 2, 0, 10);
        time.Advance(TimeSpan.FromSeconds(1));
        Request(store, 1, 0, 20);
        time.Advance(TimeSpan.FromSeconds(9));
        Request(store, 1, 10, 20);
        time.Advance(TimeSpan.FromSeconds(1));
        Request(store, 3, 0, 15);

        for (int i = 10; i < 20; i++)
        {
            Assert.False(store.Contains(Key(1000 + i)), $"{policy}: dead block {i} kept");
        }

        int branch = 0;
        for (int i = 0; i < 10; i++)
        {
            Assert.True(store.Contains(Key(1000 + i)), $"{policy}: session 1's prefix lost block {i}");
            branch += store.Contains(Key(1500 + 10 + i)) ? 1 : 0;
        }

        Assert.Equal(recheck ? 10 : 5, branch);
    }

    /// <summary>A request of <paramref name="session"/>: its blocks 0..common−1, then branch blocks up to length.</summary>
    private static void Request(TieredKvStore store, int session, int common, int length)
    {
        BlockKey parent = BlockKey.Empty;
        for (int i = 0; i < length; i++)
        {
            BlockKey key = i < common || common == 0 ? Key((session * 1000) + i) : Key((session * 1000) + 500 + i);
            store.Put(key, parent, default, new BlockContext(i, session));
            parent = key;
        }
    }
}
