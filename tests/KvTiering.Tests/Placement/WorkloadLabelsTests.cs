using KvTiering.Placement;

namespace KvTiering.Tests.Placement;

public sealed class WorkloadLabelsTests
{
    [Fact]
    public void Every_combination_round_trips_through_text_and_keeps_its_axes()
    {
        var seen = new HashSet<string>();
        foreach (WorkloadPhase phase in Enum.GetValues<WorkloadPhase>())
        foreach (ContextLength context in Enum.GetValues<ContextLength>())
        foreach (LatencyClass latency in Enum.GetValues<LatencyClass>())
        foreach (ModelScale model in Enum.GetValues<ModelScale>())
        foreach (DeploymentSite site in Enum.GetValues<DeploymentSite>())
        {
            var labels = new WorkloadLabels(phase, context, latency, model, site);
            Assert.Equal((phase, context, latency, model, site), (labels.Phase, labels.Context, labels.Latency, labels.Model, labels.Site));
            string text = labels.ToString();
            Assert.True(seen.Add(text), text);
            Assert.Equal(labels, WorkloadLabels.Parse(text));
        }

        Assert.Equal(243, seen.Count);
    }

    [Fact]
    public void Text_form_names_set_axes_in_order()
    {
        Assert.Equal("unlabeled", WorkloadLabels.None.ToString());
        Assert.True(WorkloadLabels.Parse("").IsUnlabeled);
        var labels = WorkloadLabels.Parse(" Batch , long,dc, prefill-heavy ");
        Assert.Equal("prefill-heavy,long,batch,data-center", labels.ToString());
        Assert.Equal(LatencyClass.Batch, labels.Latency);
        Assert.Equal(ModelScale.Unspecified, labels.Model);
    }

    [Fact]
    public void Parse_rejects_unknown_names_and_conflicting_axes()
    {
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => WorkloadLabels.Parse("interactive,huge"));
        Assert.Contains("'huge'", unknown.Message, StringComparison.Ordinal);
        ArgumentException twice = Assert.Throws<ArgumentException>(() => WorkloadLabels.Parse("short,long"));
        Assert.Contains("context", twice.Message, StringComparison.Ordinal);
        Assert.Equal(WorkloadLabels.Parse("long"), WorkloadLabels.Parse("long,long"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkloadLabels(site: (DeploymentSite)3));
    }

    [Fact]
    public void With_overrides_only_the_axes_the_other_sets()
    {
        WorkloadLabels baseLabels = WorkloadLabels.Parse("interactive,short,edge");
        WorkloadLabels merged = baseLabels.With(WorkloadLabels.Parse("long,large"));
        Assert.Equal("long,interactive,large,edge", merged.ToString());
        Assert.Equal(baseLabels, baseLabels.With(WorkloadLabels.None));
    }
}
