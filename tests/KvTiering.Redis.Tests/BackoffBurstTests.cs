using Microsoft.Extensions.Time.Testing;

namespace KvTiering.Redis.Tests;

/// <summary>
/// The calls in flight when a server turns slow or goes away fail together: up to <c>WriteWindow</c> (32) write-behind
/// writes and a prefetch's reads time out within a moment of each other. They are one outage. Before polish30 each of
/// them started a back-off of its own: the fault count (<c>connection</c> in the drill's <c>/metrics</c>) rose by 32
/// for one burst, and the back-off doubled 32 times, straight to <c>MaxBackoff</c> (30 s by default), so the tier sat
/// out 30 s after the burst instead of 1 s. That was the remote drill's bimodal part 5 (<c>connection</c> 3–4 in some
/// runs, 32–35 in others: whether a window of writes was in flight when the relay's delay passed the timeout).
/// </summary>
public sealed class BackoffBurstTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);

    private static RedisBackoff Create(FakeTimeProvider time) =>
        new(connection: null!, time, Initial, TimeSpan.FromSeconds(30), probeLease: TimeSpan.FromSeconds(1)); // OnFault never reads the connection

    [Fact]
    public void Faults_of_calls_in_flight_together_start_one_back_off()
    {
        var time = new FakeTimeProvider();
        RedisBackoff backoff = Create(time);

        Parallel.For(0, 32, i => backoff.OnFault(new TimeoutException($"call {i} timed out")));

        Assert.Equal(1, backoff.Faults); // main: 32
        Assert.False(backoff.IsAvailable);
        time.Advance(Initial);
        Assert.True(backoff.IsAvailable); // main: unavailable until 30 s (the back-off doubled 32 times)
    }

    [Fact]
    public void A_fault_after_the_back_off_ended_is_the_next_in_a_row_and_doubles_it()
    {
        var time = new FakeTimeProvider();
        RedisBackoff backoff = Create(time);
        backoff.OnFault(null);
        backoff.OnFault(null); // in flight with the first: joins its back-off
        time.Advance(Initial);

        backoff.OnFault(null); // the probe after the back-off failed

        Assert.Equal(2, backoff.Faults);
        time.Advance(Initial);
        Assert.False(backoff.IsAvailable); // two seconds now
        time.Advance(Initial);
        Assert.True(backoff.IsAvailable);
        Assert.Equal("No connection to the server.", backoff.LastFault);
    }
}
