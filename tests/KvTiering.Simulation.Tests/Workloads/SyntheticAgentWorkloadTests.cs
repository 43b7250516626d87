using KvTiering.Simulation.Traces;
using KvTiering.Simulation.Workloads;

namespace KvTiering.Simulation.Tests.Workloads;

public sealed class SyntheticAgentWorkloadTests
{
    private static readonly SyntheticAgentOptions Small = new()
    {
        Seed = 42,
        DurationSeconds = 900,
        ConcurrentSessions = 12,
        SharedPrefixBlocks = 40,
        DocumentsPerHour = 120,
        DocumentTokens = 8000,
        SubagentProbability = 0.1,
    };

    [Fact]
    public void Generate_SameSeed_GivesAnIdenticalTrace_AndAnotherSeedDoesNot()
    {
        Trace first = SyntheticAgentWorkload.Generate(Small);
        Trace second = SyntheticAgentWorkload.Generate(Small);
        Trace other = SyntheticAgentWorkload.Generate(Small with { Seed = 43 });

        TraceAssert.Same(first, second);
        Assert.False(first.BlockIds.AsSpan().SequenceEqual(other.BlockIds) && first.Time.SequenceEqual(other.Time));
    }

    [Fact]
    public void Generate_Defaults_GiveAnHourOfHundredsOfSessionsAndAboutAHundredToOne()
    {
        Trace trace = SyntheticAgentWorkload.Generate();

        Assert.Equal("synthetic-agent", trace.Name);
        Assert.Equal(64, trace.BlockTokens);
        Assert.InRange(trace.Session.Distinct().Count(), 200, 1000);
        Assert.InRange(trace.UniqueBlocks, 100_000, 500_000);
        Assert.InRange(trace.References, 1_000_000, 20_000_000);
        Assert.InRange(Ratio(trace), 90, 110);
        Assert.True(trace.Time[0] >= 0 && trace.Time[^1] < 3600);
        Assert.True(trace.Time[^1] > 3000, "requests should span the hour");
        AssertDenseAndOrdered(trace);
    }

    [Theory]
    [InlineData(30.0)]
    [InlineData(300.0)]
    public void Generate_InputOutputRatio_IsHonouredOverTheTrace(double ratio)
    {
        Trace trace = SyntheticAgentWorkload.Generate(Small with { InputOutputRatio = ratio });

        Assert.InRange(Ratio(trace), ratio * 0.9, ratio * 1.1);
    }

    [Fact]
    public void Generate_EachCallStartsWithThePreviousCallsFullBlocks()
    {
        Trace trace = SyntheticAgentWorkload.Generate(Small);
        var last = new Dictionary<long, int>();
        int checkedPairs = 0;

        for (int i = 0; i < trace.RequestCount; i++)
        {
            Assert.Equal(trace.InputTokens[i] / trace.BlockTokens, trace.Blocks(i).Length);
            if (last.TryGetValue(trace.Session[i], out int previous))
            {
                ReadOnlySpan<int> before = trace.Blocks(previous);
                ReadOnlySpan<int> now = trace.Blocks(i);
                int carried = (trace.InputTokens[previous] + trace.OutputTokens[previous]) / trace.BlockTokens;
                Assert.True(now.Length >= carried, $"request {i} dropped context of request {previous}");
                Assert.True(now[..before.Length].SequenceEqual(before), $"request {i} does not extend request {previous}");
                checkedPairs++;
            }

            last[trace.Session[i]] = i;
        }

        Assert.True(checkedPairs > trace.RequestCount / 2);
    }

    [Fact]
    public void Generate_DocumentBeforeAnySession_KeepsIdsDenseInFirstSeenOrder()
    {
        // Sessions start within the first minute; a document every few seconds almost surely comes first.
        Trace trace = SyntheticAgentWorkload.Generate(Small with { DocumentsPerHour = 3600, DocumentTokens = 640 });

        Assert.NotEqual(0, trace.Blocks(0).Length);
        Assert.NotEqual(trace.Blocks(0).Length, Small.SharedPrefixBlocks);
        AssertDenseAndOrdered(trace);
    }

    [Fact]
    public void Generate_SessionsShareThePrefix_AndDocumentsAreNeverReused()
    {
        Trace trace = SyntheticAgentWorkload.Generate(Small);
        int first = Enumerable.Range(0, trace.RequestCount).First(i => trace.Blocks(i).Length >= Small.SharedPrefixBlocks &&
            trace.Session.Count(s => s == trace.Session[i]) > 1);
        int[] prefix = trace.Blocks(first)[..Small.SharedPrefixBlocks].ToArray();
        var uses = new int[trace.UniqueBlocks];
        foreach (int id in trace.BlockIds)
        {
            uses[id]++;
        }

        int documents = 0;
        for (int i = 0; i < trace.RequestCount; i++)
        {
            ReadOnlySpan<int> blocks = trace.Blocks(i);
            if (blocks.Length >= prefix.Length && blocks[..prefix.Length].SequenceEqual(prefix))
            {
                continue;
            }

            // Not an agent call: a one-off document whose blocks appear in no other request.
            documents++;
            Assert.Equal(1, trace.Session.Count(s => s == trace.Session[i]));
            foreach (int id in blocks)
            {
                Assert.Equal(1, uses[id]);
            }
        }

        Assert.InRange(documents, 10, 60);
    }

    [Fact]
    public void Generate_Subagents_AddSessionsThatShareThePrefix()
    {
        var without = Small with { SubagentProbability = 0, DocumentsPerHour = 0 };
        Trace plain = SyntheticAgentWorkload.Generate(without);
        Trace withSubagents = SyntheticAgentWorkload.Generate(without with { SubagentProbability = 0.3 });

        // Sub-agents are short sessions of their own, so there are more sessions with fewer calls each.
        Assert.True(withSubagents.Session.Distinct().Count() > plain.Session.Distinct().Count() * 2);
        int[] prefix = withSubagents.Blocks(0)[..Small.SharedPrefixBlocks].ToArray();
        for (int i = 0; i < withSubagents.RequestCount; i++)
        {
            Assert.True(withSubagents.Blocks(i)[..prefix.Length].SequenceEqual(prefix));
        }
    }

    [Theory]
    [InlineData(nameof(SyntheticAgentOptions.BlockTokens))]
    [InlineData(nameof(SyntheticAgentOptions.InputOutputRatio))]
    [InlineData(nameof(SyntheticAgentOptions.SubagentProbability))]
    [InlineData(nameof(SyntheticAgentOptions.ConcurrentSessions))]
    public void Generate_OutOfRangeSetting_ThrowsNamingIt(string setting)
    {
        SyntheticAgentOptions bad = setting switch
        {
            nameof(SyntheticAgentOptions.BlockTokens) => Small with { BlockTokens = 0 },
            nameof(SyntheticAgentOptions.InputOutputRatio) => Small with { InputOutputRatio = double.NaN },
            nameof(SyntheticAgentOptions.SubagentProbability) => Small with { SubagentProbability = 1.5 },
            _ => Small with { ConcurrentSessions = -3 },
        };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticAgentWorkload.Generate(bad));

        Assert.Equal(setting, ex.ParamName);
    }

    private static double Ratio(Trace trace) =>
        trace.InputTokens.Sum(x => (long)x) / (double)trace.OutputTokens.Sum(x => (long)x);

    private static void AssertDenseAndOrdered(Trace trace)
    {
        for (int i = 1; i < trace.RequestCount; i++)
        {
            Assert.True(trace.Time[i] >= trace.Time[i - 1]);
        }

        // Dense in first-seen order: each new id is exactly one more than the largest seen so far.
        int max = -1;
        foreach (int id in trace.BlockIds)
        {
            Assert.True(id <= max + 1, $"id {id} skips ahead of {max}");
            max = Math.Max(max, id);
        }

        Assert.Equal(trace.UniqueBlocks, max + 1);
    }
}
