using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

/// <summary>The noisy and the partial oracle of the agent policy's diagnostic (session 23, noise24).</summary>
public sealed class AgentNoisyOracleTests
{
    // Session 1 ends its turn on blocks 0–7; its user comes back with blocks 0–6 and a rewritten tip, so block 7 is
    // never used again. Session 2 asks once and never returns. A tier of 12 blocks keeps one whole session.
    private static readonly Trace TipRewrite = TurnTrace.Build("tip-rewrite",
        (0, 1, [0, 1, 2, 3, 4, 5, 6, 7], TurnEnd.EndOfTurn, 1),
        (10, 2, [100, 101, 102, 103, 104, 105, 106, 107], TurnEnd.ToolCall, 1),
        (20, 1, [0, 1, 2, 3, 4, 5, 6, 50, 51], TurnEnd.EndOfTurn, 1));

    // Ten sessions of eight blocks, asked in three passes, each in another order, on a tier of 40 blocks: which five
    // stay resident decides the hits, and only the true order of the returns keeps those that come back first.
    private static readonly Trace Shuffle = BuildShuffle();

    [Fact]
    public void With_no_noise_the_oracle_in_seconds_ranks_as_the_oracle_by_request_index()
    {
        Assert.Equal(Run(TipRewrite, "agent:oracle=true"), Run(TipRewrite, "agent:oraclenoise=0"), 6);
        Assert.Equal(Run(TipRewrite, "belady"), Run(TipRewrite, "agent:oracle=seconds"), 6);
        Assert.Equal(Run(Shuffle, "agent:oracle=true"), Run(Shuffle, "agent:oraclenoise=0"), 6);
        Assert.Equal(Run(Shuffle, "belady"), Run(Shuffle, "agent:oraclenoise=0"), 6);
    }

    [Fact]
    public void Noise_misranks_sessions_the_same_way_every_run()
    {
        double exact = Run(Shuffle, "agent:oraclenoise=0");
        double noisy = Run(Shuffle, "agent:oraclenoise=3");
        Assert.True(noisy < exact, $"σ = 3 should lose hits against the exact oracle's {exact}, read {noisy}");
        Assert.Equal(noisy, Run(Shuffle, "agent:oraclenoise=3"), 12);
    }

    [Fact]
    public void The_noise_is_a_standard_normal_that_depends_only_on_session_and_request()
    {
        const int n = 20_000;
        double sum = 0, squares = 0;
        for (int i = 0; i < n; i++)
        {
            double z = AgentOracle.Normal(i / 7, i % 7);
            sum += z;
            squares += z * z;
        }

        Assert.InRange(sum / n, -0.03, 0.03);
        Assert.InRange(Math.Sqrt((squares / n) - ((sum / n) * (sum / n))), 0.97, 1.03);
        Assert.Equal(AgentOracle.Normal(42, 3), AgentOracle.Normal(42, 3));
        Assert.NotEqual(AgentOracle.Normal(42, 3), AgentOracle.Normal(42, 4));
    }

    [Fact]
    public void A_partial_oracle_leaves_the_other_states_on_the_policys_estimate()
    {
        // Without hints every live session is in flight: an oracle of the paused and of those awaiting their user
        // ranks none of them and is the policy itself, and one of the sessions in flight is the whole oracle.
        double agent = Run(Shuffle, "agent", hints: false);
        double oracle = Run(Shuffle, "agent:oraclenoise=0", hints: false);
        Assert.NotEqual(agent, oracle, 6); // the trace tells the two apart
        Assert.Equal(agent, Run(Shuffle, "agent:oraclestates=paused/user", hints: false), 12);
        Assert.Equal(oracle, Run(Shuffle, "agent:oraclestates=inflight", hints: false), 12);
    }

    [Fact]
    public void A_state_scale_moves_the_sessions_of_one_state_against_the_others()
    {
        // Session 1 is paused on a tool and comes back; session 2 is in flight (no hint) and does not; session 3 asks
        // for room. Session 1's wait scaled up, it goes and misses on its return; session 2's scaled up instead, it
        // goes and session 1 hits.
        Trace trace = TurnTrace.Build("states",
            (0, 1, [0, 1, 2, 3, 4, 5, 6, 7], TurnEnd.ToolCall, 1),
            (10, 2, [100, 101, 102, 103, 104, 105, 106, 107], TurnEnd.Unknown, 1),
            (20, 3, [200, 201, 202, 203, 204, 205, 206, 207], TurnEnd.Unknown, 1),
            (30, 1, [0, 1, 2, 3, 4, 5, 6, 7, 8], TurnEnd.Unknown, 1));
        double pausedLater = Run(trace, "agent:statescale=1/1000000/1", capacity: 16);
        double inFlightLater = Run(trace, "agent:statescale=1000000/1/1", capacity: 16);
        Assert.Equal(0, pausedLater, 6);
        Assert.Equal(8 / 33.0, inFlightLater, 6);
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:statescale=1/2"));
    }

    [Fact]
    public void Partial_and_noisy_oracles_need_a_replay_and_known_states()
    {
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:oraclestates=sometimes"));
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:oraclenoise=-1"));
        var options = AgentPolicyOptions.Default with { OracleDiagnostic = true, OracleRank = AgentOracleRank.NextRequestSeconds };
        var storeOptions = new Store.KvStoreOptions { MetadataOnly = true };
        storeOptions.Tiers.Add(new Store.TierOptions(Tiers.TierProfiles.Dram, 16) { Policy = EvictionPolicy.Create("seconds", () => new AgentPolicy(options)) });
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => new Store.TieredKvStore(storeOptions).Dispose());
        Assert.Contains("replay", e.Message, StringComparison.Ordinal);
    }

    private static Trace BuildShuffle()
    {
        // Three passes over ten sessions, each pass in its own order (a multiplicative walk modulo 11).
        var rows = new List<(double, long, int[], TurnEnd, double)>();
        double t = 0;
        foreach (int step in (int[])[1, 7, 3])
        {
            for (int i = 1; i <= 10; i++)
            {
                int s = (i * step) % 11;
                rows.Add((t, s, [.. Enumerable.Range(100 * s, 8)], TurnEnd.ToolCall, 1));
                t += 10;
            }
        }

        return TurnTrace.Build("shuffle", [.. rows]);
    }

    private static double Run(Trace trace, string policy, bool hints = true, int capacity = 0) =>
        Replayer.Run(trace, new ReplayOptions
        {
            Policy = AgentPolicyVariants.FromName(policy),
            CapacityBlocks = capacity > 0 ? capacity : trace == TipRewrite ? 12 : 40,
            Hints = hints,
        }).TokenHitRate;
}
