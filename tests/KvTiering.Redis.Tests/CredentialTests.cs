using KvTiering.Blocks;
using KvTiering.Store;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>
/// A server that answers but refuses the credentials is a setting to fix: <see cref="RedisTier.Connect"/> says so,
/// naming the setting and never the password. A server that is down is an outage the tier rides out.
/// </summary>
public sealed class CredentialTests
{
    private const string Password = "the-right-secret";

    [Theory]
    [InlineData(",password=a-wrong-secret")]
    [InlineData("")]
    public void A_server_that_refuses_the_password_fails_Connect_naming_Configuration(string credentials)
    {
        using var server = new GarnetTestServer(Password);
        RedisTierOptions options = Options(server);
        options.Configuration = server.Configuration + credentials;

        ArgumentException ex = Assert.Throws<ArgumentException>(() => RedisTier.Connect(options));

        Assert.Equal(nameof(RedisTierOptions.Configuration), ex.ParamName);
        Assert.Contains($"The Redis server at {server.Configuration} refused this tier's credentials", ex.Message, StringComparison.Ordinal);
        Assert.Contains("NOAUTH", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a-wrong-secret", ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_right_password_connects_and_the_tier_stores_blocks()
    {
        using var server = new GarnetTestServer(Password);
        RedisTierOptions options = Options(server);
        options.Configuration = $"{server.Configuration},password={Password}";
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using TieredKvStore store = NewStore(connection, options, 1, 8, out RedisBlockDevice device);
        BlockKey[] chain = Chain(3);
        for (int i = 0; i < 3; i++)
        {
            store.Put(chain[i], ParentOf(chain, i), Payload(i));
        }

        Assert.Equal(2, device.GetStatistics().Writes);
        var buffer = new byte[BlockBytes];
        Assert.True(store.TryGet(chain[0], buffer, out int written));
        Assert.Equal(Payload(0), buffer[..written]);
    }

    [Fact]
    public void A_server_that_is_down_still_connects_and_starts_unavailable()
    {
        using var server = new GarnetTestServer(Password);
        RedisTierOptions options = Options(server);
        options.Configuration = server.Configuration + ",password=a-wrong-secret";
        server.Stop(); // nothing answers: an outage, not a refusal

        using ConnectionMultiplexer connection = RedisTier.Connect(options);

        Assert.False(connection.IsConnected);
    }
}
