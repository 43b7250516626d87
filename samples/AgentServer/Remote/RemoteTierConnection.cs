using KvTiering.Redis;
using KvTiering.Store;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentServer.Remote;

/// <summary>
/// The server's connection to its remote tier (<see cref="RemoteTierOptions"/>), opened when the store is built and
/// closed after it; logs when the server is lost and back (the tier itself only counts, on <c>/metrics</c>).
/// </summary>
/// <remarks>
/// The store is disposed before this (the container disposes in reverse order of creation, and the store's factory
/// creates this first), so no tier call runs on a closed connection.
/// </remarks>
internal sealed class RemoteTierConnection : IDisposable
{
    private readonly RemoteTierOptions _options;
    private readonly ILogger _logger;
    private ConnectionMultiplexer? _connection;
    private int _down; // 1 from a logged loss until the server is back: one line per outage, not one per retry

    public RemoteTierConnection(IOptions<RemoteTierOptions> options, ILogger<RemoteTierConnection> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>
    /// The write-behind queue's blocks the store needs for this tier (<see cref="RemoteTierOptions.WriteBehind"/>): four
    /// windows, so a snapshot's save finds room while a window of its demotions is on the wire; 0 without write-behind.
    /// </summary>
    public int WriteBehindBlocks => _options is { Configuration: not null, WriteBehind: true } ? 4 * _options.WriteWindow : 0;

    /// <summary>
    /// The remote tier of <paramref name="blockBytes"/>-byte blocks, connected; null when none is configured.
    /// </summary>
    /// <param name="defaultNamespace">The namespace when the settings name none (the model's hasher root).</param>
    /// <param name="blockBytes">The store's block size, to turn <see cref="RemoteTierOptions.Bytes"/> into blocks.</param>
    /// <exception cref="OptionsValidationException">A setting is out of range, or the server refused the password; the message names the <c>KvTiering:Redis</c> setting.</exception>
    public TierOptions? Tier(string defaultNamespace, long blockBytes)
    {
        if (_options.Configuration is null)
        {
            return null;
        }

        long blocks = _options.Bytes / blockBytes;
        if (blocks < 1 || blocks > int.MaxValue)
        {
            throw Invalid("Bytes", $"{_options.Bytes} holds {blocks} blocks of {blockBytes} bytes (16 tokens of this model); give room for at least one.");
        }

        byte[]? secret = Secret(_options.AuthenticationKey);
        var redis = new RedisTierOptions
        {
            Configuration = _options.Configuration,
            Namespace = _options.Namespace ?? defaultNamespace,
            OperationTimeout = _options.OperationTimeout,
            ConnectTimeout = _options.ConnectTimeout,
            Backoff = _options.Backoff,
            MaxBackoff = _options.MaxBackoff,
            ReadWindow = _options.ReadWindow,
            WriteWindow = _options.WriteWindow,
        };
        try
        {
            _connection = RedisTier.Connect(redis);
        }
        catch (ArgumentException ex)
        {
            throw Invalid(ex.ParamName ?? "Configuration", ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal));
        }

        string endpoints = string.Join(", ", _connection.GetEndPoints().Select(e => e.ToString()));
        if (_connection.IsConnected)
        {
            RemoteTierLog.Connected(_logger, endpoints, redis.Namespace, (int)blocks, redis.OperationTimeout);
        }
        else
        {
            _down = 1;
            RemoteTierLog.NotReachable(_logger, endpoints);
        }

        _connection.ConnectionFailed += OnFailed;
        _connection.ConnectionRestored += OnRestored;
        TierOptions tier = RedisTier.Create(_connection, redis, (int)blocks);
        tier.AuthenticationKey = secret;
        tier.WriteBehind = _options.WriteBehind;
        return tier;
    }

    /// <summary>The decoded secret, or null; the message of a bad one names the setting, never the value.</summary>
    private static byte[]? Secret(string? base64)
    {
        if (base64 is null)
        {
            return null;
        }

        byte[]? secret = null;
        try
        {
            secret = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            // reported below with the length check
        }

        return secret is { Length: >= 32 } ? secret
            : throw Invalid("AuthenticationKey", $"is not base64 of at least 32 bytes ({(secret is null ? "not base64" : $"{secret.Length} bytes")}).");
    }

    private void OnFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive && Interlocked.Exchange(ref _down, 1) == 0)
        {
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                RemoteTierLog.Lost(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString(), FirstClause(e.Exception?.Message));
            }
        }
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive && Interlocked.Exchange(ref _down, 0) == 1)
        {
            RemoteTierLog.Restored(_logger, e.EndPoint);
        }
    }

    /// <summary>
    /// The client's message up to its diagnostics ("UnableToConnect (0-read, 0-sent) on host:port/Interactive, …, IOCP: …"
    /// gives "UnableToConnect"), which a log line does not need.
    /// </summary>
    private static string FirstClause(string? message)
    {
        if (message is null)
        {
            return "no reason given";
        }

        int end = message.IndexOfAny([',', '(']);
        return (end > 0 ? message[..end] : message).Trim();
    }

    private static OptionsValidationException Invalid(string setting, string message) =>
        new(RemoteTierOptions.SectionName, typeof(RemoteTierOptions), [$"{RemoteTierOptions.SectionName}:{setting}: {message}"]);

    public void Dispose() => _connection?.Dispose();
}
