using KvTiering.Placement;
using KvTiering.Simulation.Placement;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Placement;

public sealed class LabelRuleTests
{
    // Four requests: sessions 7, 7, 9, 0 (no session); inputs 100, 9000, 20, 8192; outputs 1, 3000, 5, 819.
    private static readonly Trace Four = new("four", 16, [0, 1, 2, 3], [7, 7, 9, 0], [100, 9000, 20, 8192], [1, 3000, 5, 819],
        [0, 1, 2, 3, 4], [0, 1, 2, 3], 4);

    [Fact]
    public void Context_splits_at_the_threshold()
    {
        Assert.Equal(["short", "long", "short", "long"], Text(LabelRule.Parse("context").Assign(Four)));
        Assert.Equal(["long", "long", "short", "long"], Text(LabelRule.Parse("context:100").Assign(Four)));
    }

    [Fact]
    public void Session_size_calls_multi_request_sessions_interactive_and_the_rest_batch()
    {
        Assert.Equal(["interactive", "interactive", "batch", "batch"], Text(LabelRule.Parse("session-size").Assign(Four)));
        Assert.Equal(["batch", "batch", "batch", "batch"], Text(LabelRule.Parse("session-size:3").Assign(Four)));
    }

    [Fact]
    public void Phase_splits_on_the_input_to_output_ratio()
    {
        Assert.Equal(["prefill-heavy", "decode-heavy", "decode-heavy", "prefill-heavy"], Text(LabelRule.Parse("phase").Assign(Four)));
        Assert.Equal(["prefill-heavy", "prefill-heavy", "prefill-heavy", "prefill-heavy"], Text(LabelRule.Parse("phase:2").Assign(Four)));
    }

    [Fact]
    public void Parts_combine_and_a_later_part_wins_on_a_shared_axis()
    {
        WorkloadLabels[] labels = LabelRule.Parse("context + session-size + fixed:edge,batch").Assign(Four);
        Assert.Equal(["short,batch,edge", "long,batch,edge", "short,batch,edge", "long,batch,edge"], Text(labels));
        Assert.Equal("context + session-size + fixed:edge,batch", LabelRule.Parse("context + session-size + fixed:edge,batch").Text);
    }

    [Theory]
    [InlineData("", "no part")]
    [InlineData("size", "'size'")]
    [InlineData("context:0", "'0'")]
    [InlineData("phase:x", "'x'")]
    [InlineData("fixed", "needs labels")]
    [InlineData("fixed:huge", "'huge'")]
    public void Bad_rules_are_refused_with_the_part_named(string rule, string expected)
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => LabelRule.Parse(rule));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    private static string[] Text(WorkloadLabels[] labels) => [.. labels.Select(l => l.ToString())];
}
