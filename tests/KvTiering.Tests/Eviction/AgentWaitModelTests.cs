using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class AgentWaitModelTests
{
    [Fact]
    public void Before_any_wait_the_expected_wait_is_the_median()
    {
        var model = new AgentWaitModel();
        for (int s = 1; s <= 99; s++)
        {
            model.Observe(s);
        }

        Assert.Equal(99, model.Observed);
        Assert.InRange(model.Remaining(0), 40, 60); // the median is 50; buckets are 25% wide
    }

    [Fact]
    public void On_a_heavy_tail_the_remaining_wait_grows_with_the_time_waited()
    {
        var model = new AgentWaitModel();
        const int n = 2000;
        for (int i = 0; i < n; i++)
        {
            model.Observe(n / (i + 0.5)); // Pareto with α = 1: past w, the median wait is 2w
        }

        double previous = 0;
        foreach (double waited in new double[] { 0, 3, 10, 30, 100, 300 })
        {
            double remaining = model.Remaining(waited);
            Assert.True(remaining > previous, $"after {waited} s: {remaining} s, not more than {previous} s");
            previous = remaining;
        }

        Assert.InRange(model.Remaining(100), 60, 140);
    }

    [Fact]
    public void On_a_light_tail_the_remaining_wait_shrinks_and_past_every_wait_it_is_the_time_waited()
    {
        var model = new AgentWaitModel();
        for (int s = 95; s <= 105; s++)
        {
            model.Observe(s);
        }

        Assert.InRange(model.Remaining(0), 80, 120);
        Assert.InRange(model.Remaining(60), 20, 60);
        Assert.Equal(5000, model.Remaining(5000));
    }

    [Fact]
    public void Waits_that_never_end_lengthen_the_remaining_wait_until_they_are_taken_back()
    {
        var model = new AgentWaitModel();
        for (int s = 10; s <= 100; s += 10)
        {
            model.Observe(s);
        }

        Assert.Equal(200, model.Remaining(200)); // past every answered wait: only the time waited

        // Twenty users have not answered at all: most of those still waiting after 200 s never will.
        for (int i = 0; i < 20; i++)
        {
            model.ObserveUnended();
        }

        Assert.Equal(30, model.Observed);
        Assert.True(model.Remaining(200) > 86_400, $"{model.Remaining(200)} s");
        Assert.True(model.Remaining(0) > 86_400, $"{model.Remaining(0)} s"); // two in three never answer: so does the median

        for (int i = 0; i < 20; i++)
        {
            model.Retract(); // they answered after all
        }

        Assert.Equal(10, model.Observed);
        Assert.Equal(200, model.Remaining(200));
    }
}
