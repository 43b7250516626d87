using StackExchange.Redis;

namespace KvTiering.Redis.Tests;

/// <summary>
/// How soon the connection tries a lost server again, which is how soon the tier is used again: a restored connection
/// ends its back-off (<c>FaultTests</c>), and the agent server logs "is back" then.
/// </summary>
public sealed class ReconnectTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(40)]
    [InlineData(1_000)]
    public void A_heartbeat_a_back_off_after_the_last_try_tries_again_however_long_the_outage(long triesSoFar)
    {
        // StackExchange.Redis asks on its 1 s heartbeat with the time since the last try began, inside an earlier
        // heartbeat: a little under 1,000 ms. ExponentialRetry(1,000 ms, 30 s) said no then, so the tier tried every
        // 2 s (and later up to 1.1^n s apart), and Garnet was "back" 0 to 2 s after it answered (remote drill, part 4).
        IReconnectRetryPolicy policy = RedisTier.ConnectionOptions(new RedisTierOptions { Configuration = "127.0.0.1:1" })
            .ReconnectRetryPolicy!;

        Assert.True(policy.ShouldRetry(triesSoFar, 985), "a heartbeat later, 985 ms after the last try");
        Assert.True(policy.ShouldRetry(triesSoFar, 1_000));
        Assert.False(policy.ShouldRetry(triesSoFar, 500), "not twice within one back-off");
    }

    [Fact]
    public void A_longer_back_off_spaces_the_tries_as_far()
    {
        IReconnectRetryPolicy policy = RedisTier.ConnectionOptions(
            new RedisTierOptions { Configuration = "127.0.0.1:1", Backoff = TimeSpan.FromSeconds(3) }).ReconnectRetryPolicy!;

        Assert.False(policy.ShouldRetry(0, 1_990));
        Assert.True(policy.ShouldRetry(0, 2_990));
    }
}
