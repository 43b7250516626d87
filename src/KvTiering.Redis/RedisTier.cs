using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// Builds a store tier whose blocks live in a Redis-protocol server: connects with fault-friendly settings and wires
/// a <see cref="RedisBlockDevice"/> into <see cref="TierOptions.DeviceFactory"/>.
/// </summary>
public static class RedisTier
{
    /// <summary>
    /// The default profile of a remote tier: a 25 GbE link (3.125 GB/s each way), 100 µs per access, energy not
    /// modeled. docs/remote-tier.md gives the reasoning; pass a measured profile through
    /// <see cref="RedisTierOptions.Profile"/>.
    /// </summary>
    /// <remarks>
    /// Bandwidth: the 25GBASE line rate of IEEE 802.3by, a common data-center NIC speed. Latency 100 µs: assumption,
    /// the order of a same-rack TCP round trip plus the server's command time. Energy: the server's and the network's
    /// joules are spent on other machines, so the tier models none (0 pJ/bit).
    /// </remarks>
    public static TierProfile Profile { get; } =
        new("redis", TierKind.Remote, 25e9 / 8, 25e9 / 8, TimeSpan.FromMicroseconds(100), 0, 0);

    /// <summary>
    /// Connects to <see cref="RedisTierOptions.Configuration"/> with the settings a tier needs: commands time out
    /// after <see cref="RedisTierOptions.OperationTimeout"/>, fail at once while disconnected instead of queueing, and
    /// the connection retries in the background instead of failing when the server is down. One connection can serve
    /// many devices and stores.
    /// </summary>
    /// <remarks>
    /// A server that is down or unreachable does not fail the call: the connection starts unavailable and the tier
    /// recovers once the server answers. A server that answers but refuses the credentials (a wrong or missing
    /// password) does: that is a setting to fix, not an outage, and a tier started on it would stay unavailable for
    /// good while looking like a server that is down. A password that stops working later (the server restarted with
    /// another one) is an outage like any other: the tier backs off and retries.
    /// </remarks>
    /// <exception cref="ArgumentException">The options are invalid, or the server refused the credentials in
    /// <see cref="RedisTierOptions.Configuration"/>; the message names the value (never the password itself).</exception>
    public static ConnectionMultiplexer Connect(RedisTierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ConnectionMultiplexer connection = ConnectionMultiplexer.Connect(ConnectionOptions(options));
        if (RedisCredentialCheck.Refusal(connection, options.ConnectTimeout) is { } refusal)
        {
            connection.Dispose();
            ThrowHelper.ThrowArgument(nameof(RedisTierOptions.Configuration),
                $"The Redis server at {refusal.EndPoint} refused this tier's credentials (the password= or user= of {nameof(RedisTierOptions.Configuration)} " +
                $"is wrong or missing: {refusal.Reason}). A wrong password is a setting to fix, not an outage, so the tier does not start degraded on it.",
                refusal.Exception);
        }

        return connection;
    }

    /// <summary>The client settings <see cref="Connect"/> uses, from validated <paramref name="options"/>.</summary>
    internal static ConfigurationOptions ConnectionOptions(RedisTierOptions options)
    {
        ConfigurationOptions config = ConfigurationOptions.Parse(options.Configuration);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        config.SyncTimeout = Math.Max(1, (int)options.OperationTimeout.TotalMilliseconds);
        config.AsyncTimeout = config.SyncTimeout;
        config.ConnectRetry = 1;
        config.ReconnectRetryPolicy = new RedisReconnectPolicy(options.Backoff);
        config.ClientName ??= "kvtiering";
        return config;
    }

    /// <summary>
    /// A tier of <paramref name="capacityBlocks"/> blocks on the server behind <paramref name="connection"/>, which
    /// the caller keeps and disposes (make it with <see cref="Connect"/>).
    /// </summary>
    /// <param name="connection">The server connection.</param>
    /// <param name="options">Namespace, expiry, timeouts and back-off.</param>
    /// <param name="capacityBlocks">Blocks this store tracks in the tier.</param>
    /// <param name="created">Called with the device once the store builds it, to read its statistics.</param>
    /// <remarks>
    /// Set <see cref="TierOptions.AuthenticationKey"/> on the returned options to seal every block (read when the store
    /// builds the device).
    /// </remarks>
    /// <exception cref="ArgumentException">The options are invalid; the message names the value.</exception>
    public static TierOptions Create(IConnectionMultiplexer connection, RedisTierOptions options, int capacityBlocks,
        Action<RedisBlockDevice>? created = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var tier = new TierOptions(options.Profile, capacityBlocks);
        tier.DeviceFactory = (slots, bytes) =>
        {
            var device = new RedisBlockDevice(connection, options, slots, bytes, tier.AuthenticationKey);
            created?.Invoke(device);
            return device;
        };
        return tier;
    }

    /// <summary>
    /// A tier that opens its own connection (see <see cref="Connect"/>) when the store is built and closes it when
    /// the store is disposed.
    /// </summary>
    /// <inheritdoc cref="Create(IConnectionMultiplexer, RedisTierOptions, int, Action{RedisBlockDevice})"/>
    public static TierOptions Create(RedisTierOptions options, int capacityBlocks, Action<RedisBlockDevice>? created = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var tier = new TierOptions(options.Profile, capacityBlocks);
        tier.DeviceFactory = (slots, bytes) =>
        {
            var device = RedisBlockDevice.Connect(options, slots, bytes, tier.AuthenticationKey);
            created?.Invoke(device);
            return device;
        };
        return tier;
    }
}
