using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

/// <summary>Which true next use ranks a session in the oracle diagnostic (<see cref="AgentOracleRank"/>, session 22).</summary>
public sealed class AgentOracleRankTests
{
    // Session 1 ends its turn on blocks 0–7; its user comes back with blocks 0–6 and a rewritten tip (as the WEKA
    // sessions do after an end of turn: the turn's last block changes), so block 7 is never used again. Session 2 asks
    // once (blocks 100–107) and never returns. A tier of 12 blocks keeps one whole session.
    private static readonly Trace TipRewrite = TurnTrace.Build("tip-rewrite",
        (0, 1, [0, 1, 2, 3, 4, 5, 6, 7], TurnEnd.EndOfTurn, 1),
        (10, 2, [100, 101, 102, 103, 104, 105, 106, 107], TurnEnd.ToolCall, 1),
        (20, 1, [0, 1, 2, 3, 4, 5, 6, 50, 51], TurnEnd.EndOfTurn, 1));

    [Fact]
    public void A_session_whose_next_request_rewrites_its_tip_is_ranked_by_that_request_not_as_never_returning()
    {
        // By its deepest block (the diagnostic before session 22) session 1 looks gone, ties with session 2 and loses
        // half its context; by its next request it stays whole, as under Belady (7 of the 25 blocks hit).
        double deepest = Run("agent:oracle=deepest");
        double request = Run("agent:oracle=true");
        double belady = Run("belady");

        Assert.Equal(7 / 25.0, belady, 6);
        Assert.Equal(belady, request, 6);
        Assert.Equal(4 / 25.0, deepest, 6);
    }

    [Fact]
    public void Ranked_by_the_block_it_would_give_up_a_session_loses_its_dead_tip_first_and_keeps_the_rest()
    {
        Assert.Equal(Run("belady"), Run("agent:oracle=block"), 6);
    }

    [Fact]
    public void Oracle_true_is_the_next_request_rank_and_an_unknown_rank_is_refused()
    {
        Assert.Equal(Run("agent:oracle=request"), Run("agent:oracle=true"), 6);
        Assert.Equal(Run("agent:oracle=true"), Run("agent:oracle=true+oracleadmit=true"), 6); // block 7 was admitted while the tier had room
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:oracle=sometimes"));
    }

    private static double Run(string policy) =>
        Replayer.Run(TipRewrite, new ReplayOptions { Policy = AgentPolicyVariants.FromName(policy), CapacityBlocks = 12 }).TokenHitRate;
}
