using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Tests.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Cli;

public sealed class PolicyRegistrationTests
{
    [Fact]
    public void A_registered_policy_is_found_by_name_and_replays()
    {
        EvictionPolicy policy = EvictionPolicies.Register("test-mru-" + Guid.NewGuid().ToString("N")[..8], static () => new CustomPolicy.MruPolicy());
        Assert.Same(policy, EvictionPolicies.FromName(policy.Name.ToUpperInvariant()));
        Assert.Contains(policy.Name, EvictionPolicies.AllNames);
        Assert.DoesNotContain(policy.Name, EvictionPolicies.Names); // Names stays the built-ins
        Assert.False(EvictionPolicies.ReadsSessionHints(policy));

        Trace trace = TestTraces.GrowingSessions(1);
        ReplayResult mru = Replayer.Run(trace, new ReplayOptions { Policy = policy, CapacityBlocks = 20 });
        ReplayResult lru = Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 20 });
        Assert.True(mru.TokenHitRate < lru.TokenHitRate, $"mru {mru.TokenHitRate} should lose to lru {lru.TokenHitRate} on growing sessions");
    }

    [Fact]
    public void Taken_names_are_refused_with_the_name()
    {
        var ex = Assert.Throws<ArgumentException>(() => EvictionPolicies.Register("LRU", static () => new CustomPolicy.MruPolicy()));
        Assert.Contains("'LRU'", ex.Message, StringComparison.Ordinal);
        string name = "test-twice-" + Guid.NewGuid().ToString("N")[..8];
        EvictionPolicy first = EvictionPolicies.Register(name, static () => new CustomPolicy.MruPolicy());
        EvictionPolicies.Register(first); // the same policy again is harmless
        ex = Assert.Throws<ArgumentException>(() => EvictionPolicies.Register(name, static () => new CustomPolicy.MruPolicy()));
        Assert.Contains("already registered", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_policies_that_read_hints_say_so()
    {
        Assert.True(EvictionPolicies.ReadsSessionHints(EvictionPolicies.Agent));
        Assert.True(EvictionPolicies.ReadsSessionHints(EvictionPolicies.Continuum));
        Assert.True(EvictionPolicies.ReadsSessionHints(EvictionPolicies.TtlPin));
        Assert.False(EvictionPolicies.ReadsSessionHints(EvictionPolicies.Lru));
        Assert.False(EvictionPolicies.ReadsSessionHints(EvictionPolicies.Arc));
        EvictionPolicy reader = EvictionPolicies.Register("test-hinted-" + Guid.NewGuid().ToString("N")[..8], static () => new CustomPolicy.MruPolicy(), readsSessionHints: true);
        Assert.True(EvictionPolicies.ReadsSessionHints(reader));
    }

    [Fact]
    public void Kvtier_loads_the_sample_assembly_and_runs_its_policy()
    {
        string dll = typeof(CustomPolicy.CustomPolicies).Assembly.Location;
        (int rc, string output, string errors) = KvtierRun.Kvtier("policies", "--policy-assembly", dll);
        Assert.True(rc == 0, errors);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("mru", StringComparison.Ordinal));

        (rc, output, errors) = KvtierRun.Kvtier("simulate", "--policy-assembly", dll, "--policy", "lru,mru", "--capacity", "1%", "--quiet");
        Assert.True(rc == 0, errors);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("mru ", StringComparison.Ordinal));
    }
}
