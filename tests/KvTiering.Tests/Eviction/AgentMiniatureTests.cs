using KvTiering.Simulation.Policies;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>The miniature simulations that choose between the agent policy's two orderings.</summary>
public sealed class AgentMiniatureTests
{
    /// <summary>
    /// Sessions of 10 blocks whose gaps alternate short and long, in a tier that holds half of them. Each session's gap
    /// estimate is high right after a long gap and low after a short one, the opposite of what comes next, so the
    /// expected-return ordering evicts the sessions about to return and keeps those about to leave; recency does not.
    /// </summary>
    private static int Replay(string policy, int sessions = 6, double shortGap = 20, double longGap = 60, int requests = 400)
    {
        var time = new FakeTimeProvider();
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = time };
        options.Tiers.Add(new TierOptions(Profile("hbm"), sessions * 10 / 2) { Policy = AgentPolicyVariants.FromName(policy) });
        using var store = new TieredKvStore(options);
        var next = new double[sessions];
        var count = new int[sessions];
        for (int s = 0; s < sessions; s++)
        {
            next[s] = s * longGap / sessions;
        }

        double now = 0;
        int hits = 0;
        var chain = new BlockKey[10];
        for (int r = 0; r < requests; r++)
        {
            int s = 0;
            for (int i = 1; i < sessions; i++)
            {
                s = next[i] < next[s] ? i : s;
            }

            time.Advance(TimeSpan.FromSeconds(next[s] - now));
            now = next[s];
            BlockKey parent = BlockKey.Empty;
            for (int i = 0; i < chain.Length; i++)
            {
                chain[i] = Key(((s + 1) * 1000) + i);
            }

            hits += store.MatchPrefix(chain).Blocks;
            for (int i = 0; i < chain.Length; i++)
            {
                store.Put(chain[i], parent, default, new BlockContext(i, s + 1));
                parent = chain[i];
            }

            next[s] = now + (count[s]++ % 2 == 0 ? shortGap : longGap);
        }

        return hits;
    }

    [Fact]
    public void Follows_recency_where_the_prediction_is_wrong()
    {
        int predict = Replay("agent:mini=false");
        int recency = Replay("agent:predict=false");
        int chosen = Replay("agent");
        Assert.True(recency > 3 * predict, $"the workload should defeat the prediction: {predict} vs recency's {recency}");
        Assert.True(chosen >= 0.9 * recency, $"with miniatures {chosen}, recency {recency}, prediction {predict}");
    }

    [Fact]
    public void Keeps_the_prediction_where_recency_is_wrong()
    {
        // Longer short gaps in a busier tier: now recency evicts the sessions about to return.
        int predict = Replay("agent:mini=false", sessions: 10, shortGap: 30);
        int recency = Replay("agent:predict=false", sessions: 10, shortGap: 30);
        int chosen = Replay("agent", sessions: 10, shortGap: 30);
        Assert.True(predict > recency, $"the workload should favour the prediction: {predict} vs recency's {recency}");
        Assert.True(chosen >= predict, $"with miniatures {chosen}, prediction {predict}, recency {recency}");
    }
}
