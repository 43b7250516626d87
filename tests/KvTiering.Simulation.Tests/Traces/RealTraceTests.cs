using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

/// <summary>
/// The published traces in ../shared/traces, against the counts in ../shared/NOTES.md. Parsed without the cache so
/// the readers themselves are checked; CI has the traces, so their absence fails with a message saying where.
/// </summary>
public sealed class RealTraceTests
{
    private static readonly TraceLoadOptions NoCache = new() { UseCache = false };

    [Fact]
    public void MooncakeConversation_HasThePublishedCounts()
    {
        string file = Path.Combine(SharedTraces.Root, "mooncake", "conversation_trace.jsonl");

        Trace trace = TraceLoader.Load(file, TraceFormat.Mooncake, NoCache);

        Assert.Equal("mooncake-conversation", trace.Name);
        Assert.Equal(12_031, trace.RequestCount);
        Assert.Equal(182_790, trace.UniqueBlocks);
        Assert.Equal(288_500, trace.References);
        Assert.Equal(512, trace.BlockTokens);
        AssertWellFormed(trace);
    }

    [Fact]
    public void WekaClaudeCode_HasThePublishedCounts()
    {
        string dir = Path.Combine(SharedTraces.Root, "weka-claude-code");

        Trace trace = TraceLoader.Load(dir, TraceFormat.Weka, NoCache);

        // 471 sessions and their 41 sub-agents, each its own session id.
        Assert.Equal(471 + 41, trace.Session.Distinct().Count());
        Assert.Equal(31_879, trace.RequestCount);
        Assert.Equal(60_888_657, trace.References);
        Assert.Equal(2_209_436, trace.UniqueBlocks);
        Assert.Equal(64, trace.BlockTokens);
        Assert.Equal(470 * 30.0, trace.Time.Where((_, i) => trace.Session[i] == trace.Session.Max()).Min(), 6);
        AssertWellFormed(trace);
    }

    [Fact]
    public void WekaClaudeCode_IsolatedSubagentHashes_SplitSiblingSubagentsSharedPrefixes()
    {
        string dir = Path.Combine(SharedTraces.Root, "weka-claude-code");

        Trace trace = TraceLoader.Load(dir, TraceFormat.Weka, NoCache with { IsolateSubagentHashes = true });

        // Sibling sub-agents reuse ids for their common prompt prefix; isolating them counts those blocks again.
        Assert.Equal(2_214_160, trace.UniqueBlocks);
        Assert.Equal(60_888_657, trace.References);
    }

    [Fact]
    public void WekaClaudeCode_SharedToolPrefix_SharesLeadingBlocksAcrossSessions()
    {
        string dir = Path.Combine(SharedTraces.Root, "weka-claude-code");

        Trace trace = TraceLoader.Load(dir, TraceFormat.Weka, NoCache with { SharedToolPrefix = true });

        Assert.Equal(60_888_657, trace.References);
        Assert.InRange(trace.UniqueBlocks, 2_000_000, 2_209_436 - 10_000);
        // Every session's first request (the first of its session id) starts with shared block 0.
        var firsts = Enumerable.Range(0, trace.RequestCount).GroupBy(i => trace.Session[i]).Select(g => g.First());
        Assert.True(firsts.Count(i => trace.Blocks(i)[0] == 0) >= 470);
        AssertWellFormed(trace);
    }

    private static void AssertWellFormed(Trace trace)
    {
        for (int i = 1; i < trace.RequestCount; i++)
        {
            Assert.True(trace.Time[i] >= trace.Time[i - 1], $"time goes back at request {i}");
        }

        var seen = new bool[trace.UniqueBlocks];
        foreach (int id in trace.BlockIds)
        {
            seen[id] = true;
        }

        Assert.DoesNotContain(false, seen);
    }
}
