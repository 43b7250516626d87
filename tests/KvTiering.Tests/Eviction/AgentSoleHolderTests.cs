using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>
/// While one session alone holds blocks (session-less traffic: the pool's), the agent policy names it the victim
/// without scoring it and scores it only when another session is ranked against it. That must choose every victim
/// as scoring it at once does, on traffic that mixes blocks of no session with sessions, shared blocks and hints.
/// </summary>
public sealed class AgentSoleHolderTests
{
    public static TheoryData<int, string> Workloads() => new()
    {
        { 1, "default" },
        { 2, "default" },
        { 3, "forget" },
        { 4, "nobypass" },
        { 5, "recency" },
        { 6, "s3fifo" },
        { 7, "nostale" },
        { 8, "recency,nostale" },
        { 9, "recency,nostale" },
        { 10, "nobypass,recency,nostale" },
        { 11, "nobypass,recency,nostale" },
        { 12, "nobypass,recency,nostale" },
        { 13, "nobypass,recency,nostale" },
    };

    [Theory]
    [MemberData(nameof(Workloads))]
    public void Mixed_traffic_evicts_the_same_blocks_with_the_sole_holder_left_unscored_or_scored_at_once(int seed, string variant)
    {
        AgentPolicyOptions options = variant switch
        {
            "forget" => new AgentPolicyOptions { ForgetEmptySessions = true },
            "nobypass" => new AgentPolicyOptions { Bypass = false },
            "recency" => new AgentPolicyOptions { PredictReturn = false },
            "nostale" => new AgentPolicyOptions { StaleAging = 0 }, // the sole holder's score rests on its gaps, not its stale head
            "recency,nostale" => new AgentPolicyOptions { PredictReturn = false, StaleAging = 0 }, // on its head's age alone
            "nobypass,recency,nostale" => new AgentPolicyOptions { Bypass = false, PredictReturn = false, StaleAging = 0 },
            "s3fifo" => new AgentPolicyOptions { AnonymousOrder = AgentAnonymousOrder.S3Fifo },
            _ => AgentPolicyOptions.Default,
        };

        (List<BlockKey> lazy, long lazyHits, int soloSteps) = Replay(seed, options, scoreSoleHolder: false);
        (List<BlockKey> eager, long eagerHits, _) = Replay(seed, options, scoreSoleHolder: true);

        Assert.True(lazy.Count > 2_000, $"only {lazy.Count} evictions");
        Assert.True(soloSteps > 200, $"the session-less phases left a session's blocks behind ({soloSteps} steps with one holder)");
        Assert.Equal(eagerHits, lazyHits);
        Assert.Equal(eager.Count, lazy.Count);
        for (int i = 0; i < eager.Count; i++)
        {
            Assert.True(eager[i] == lazy[i], $"eviction {i} of {eager.Count}: {lazy[i]} instead of {eager[i]}");
        }
    }

    /// <summary>
    /// Phases of session-less requests alone (long enough that every session's blocks leave, so the pool's session is
    /// the sole holder) alternate with phases that mix them with sessions: chains that grow and restart, a head every
    /// session shares, a session reusing a session-less prefix (a shared block), hints, bursts inside the request
    /// window and long pauses. Returns every victim's key in order, the hits and how many requests found one holder.
    /// </summary>
    private static (List<BlockKey> Victims, long Hits, int SoloSteps) Replay(int seed, AgentPolicyOptions options, bool scoreSoleHolder)
    {
        var time = new FakeTimeProvider();
        var victims = new List<BlockKey>();
        var storeOptions = new KvStoreOptions { MetadataOnly = true, TimeProvider = time };
        EvictionPolicy policy = EvictionPolicy.Create("agent", () => new RecordingAgent(options, scoreSoleHolder, victims));
        storeOptions.Tiers.Add(new TierOptions(Profile("hbm"), 48) { Policy = policy });
        using var store = new TieredKvStore(storeOptions);
        var rng = new Random(seed);
        var lengths = new int[7];
        long hits = 0;
        int soloSteps = 0;
        for (int step = 0; step < 3_000; step++)
        {
            bool mixed = (step / 250) % 2 == 1;
            int session = mixed && rng.Next(3) != 0 ? 1 + rng.Next(lengths.Length - 1) : 0;
            if (session == 0)
            {
                int prefix = rng.Next(12);
                hits += Chain(store, 0, i => Key(500_000 + (prefix * 100) + i), 1 + rng.Next(10));
                soloSteps += !mixed && step % 250 > 150 && store.Contains(Key(500_000 + (prefix * 100))) ? 1 : 0;
            }
            else
            {
                lengths[session] = rng.Next(6) == 0 ? 1 + rng.Next(4) : lengths[session] + 1 + rng.Next(3);
                int shared = rng.Next(4) == 0 ? 2 : 0;
                int borrowed = rng.Next(5) == 0 ? rng.Next(12) : -1; // starts on a session-less prefix: those blocks become shared
                int s = session;
                hits += Chain(store, session, i => i < shared ? Key(900_000 + i)
                    : borrowed >= 0 && i < 3 ? Key(500_000 + (borrowed * 100) + i)
                    : SessionBlockKey(s, i), lengths[session]);
                if (rng.Next(4) == 0)
                {
                    store.Hint(session, (SessionHint)rng.Next(4));
                }
            }

            time.Advance(TimeSpan.FromSeconds(rng.Next(4) switch
            {
                0 => rng.NextDouble() * 0.2, // inside the request window
                1 => 30 + (rng.NextDouble() * 60),
                _ => rng.NextDouble() * 4,
            }));
        }

        return (victims, hits, soloSteps);
    }

    private static BlockKey SessionBlockKey(int session, int i) => Key((session * 1000) + i);

    private static int Chain(TieredKvStore store, int session, Func<int, BlockKey> block, int length)
    {
        int hits = 0;
        BlockKey parent = BlockKey.Empty;
        for (int i = 0; i < length; i++)
        {
            BlockKey key = block(i);
            if (store.Put(key, parent, default, new BlockContext(i, session)) == PutResult.AlreadyPresent)
            {
                hits++;
            }

            parent = key;
        }

        return hits;
    }

    /// <summary>The agent policy, recording the key of every victim it names.</summary>
    private struct RecordingAgent(AgentPolicyOptions options, bool scoreSoleHolder, List<BlockKey> victims) : IEvictionPolicy
    {
        private AgentPolicy _inner = new(options, scoreSoleHolder);
        private TierView? _tier;

        public void Attach(TierView tier)
        {
            _tier = tier;
            _inner.Attach(tier);
        }

        public readonly bool Admit(in BlockInfo block) => _inner.Admit(block);

        public readonly void OnInsert(int handle) => _inner.OnInsert(handle);

        public readonly void OnAccess(int handle) => _inner.OnAccess(handle);

        public readonly void OnRemove(int handle) => _inner.OnRemove(handle);

        public readonly int SelectVictim()
        {
            int victim = _inner.SelectVictim();
            victims.Add(victim >= 0 ? _tier!.Key(victim) : BlockKey.Empty);
            return victim;
        }

        public readonly void OnSessionHint(long session, SessionHint hint) => _inner.OnSessionHint(session, hint);
    }
}
