using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;
using KvTiering.Simulation.Workloads;

namespace KvTiering.Simulation.Tests.Replay;

public sealed class AgentOracleTests
{
    // The diagnostic ranks every live session by its true next request. Hints say only how a response ended, which the
    // oracle already knows better, so they must not change its ranking; before session 20 a session awaiting its user
    // was ranked by the answer-time model in seconds beside the others' request indices, so it was never evicted.
    [Fact]
    public void The_oracle_diagnostic_ranks_a_session_awaiting_its_user_by_its_true_next_request()
    {
        // The synthetic workload records no turn ends: every third request ends its turn, the others call a tool.
        Trace generated = SyntheticAgentWorkload.Generate(new SyntheticAgentOptions { Seed = 7, DurationSeconds = 1800 });
        var ends = new TurnEnd[generated.RequestCount];
        for (int i = 0; i < ends.Length; i++)
        {
            ends[i] = i % 3 == 0 ? TurnEnd.EndOfTurn : TurnEnd.ToolCall;
        }

        var trace = new Trace(generated.Name, generated.BlockTokens, generated.Time, generated.Session, generated.InputTokens,
            generated.OutputTokens, generated.RequestStart, generated.BlockIds, generated.UniqueBlocks) { TurnEnds = ends };
        EvictionPolicy oracle = AgentPolicyVariants.FromName("agent:oracle=true");
        int capacity = Math.Max(1, trace.UniqueBlocks / 20);

        ReplayResult hinted = Replayer.Run(trace, new ReplayOptions { Policy = oracle, CapacityBlocks = capacity });
        ReplayResult plain = Replayer.Run(trace, new ReplayOptions { Policy = oracle, CapacityBlocks = capacity, Hints = false });
        ReplayResult agent = Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicies.Agent, CapacityBlocks = capacity });

        Assert.Equal(plain.TokenHitRate, hinted.TokenHitRate);
        Assert.True(hinted.TokenHitRate >= agent.TokenHitRate, $"oracle {hinted.TokenHitRate} below agent+hints {agent.TokenHitRate}");
    }
}
