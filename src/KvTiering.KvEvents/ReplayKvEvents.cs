using KvTiering.Store;

namespace KvTiering.KvEvents;

/// <summary>
/// Publishes the KV events of a simulated replay (<c>kvtier simulate --kv-events tcp://HOST:PORT</c>): binds the
/// endpoint, waits for a first subscriber so one started before the replay misses nothing, and publishes every tier's
/// events as <c>medium</c>.
/// </summary>
public static class ReplayKvEvents
{
    /// <summary>How long <see cref="Start"/> waits for a first subscriber by default.</summary>
    public static TimeSpan DefaultWait { get; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Events a replay's publisher may queue before it drops (and counts) them: a replay runs far faster than a
    /// server, so the queue is large (about 4 million events).
    /// </summary>
    public const int QueueCapacity = 1 << 22;

    /// <summary>Starts publishing <paramref name="store"/>'s events on <paramref name="endpoint"/>, which is bound.</summary>
    /// <param name="store">The replay's store.</param>
    /// <param name="endpoint">A ZeroMQ endpoint to bind, e.g. <c>tcp://127.0.0.1:5557</c>.</param>
    /// <param name="waitForSubscriber">How long to wait for a first subscriber before returning.</param>
    /// <param name="log">Told the bound endpoint (<c>kv-events: listening on tcp://…</c>, before the wait) and when no
    /// subscriber came, or null.</param>
    /// <exception cref="ArgumentException"><paramref name="endpoint"/> is not a ZeroMQ endpoint.</exception>
    /// <exception cref="IOException">The endpoint cannot be bound (a port in use, a host that does not resolve, a protocol
    /// ZeroMQ does not know); the message names the endpoint.</exception>
    public static ZmqKvEventPublisher Start(TieredKvStore store, string endpoint, TimeSpan waitForSubscriber, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        if (!endpoint.Contains("://", StringComparison.Ordinal))
        {
            throw new ArgumentException($"--kv-events takes a ZeroMQ endpoint such as tcp://127.0.0.1:5557; got '{endpoint}'.", nameof(endpoint));
        }

        ZmqKvEventPublisher publisher;
        try
        {
            publisher = new ZmqKvEventPublisher(store, new ZmqKvEventPublisherOptions
            {
                Endpoint = endpoint,
                Bind = true,
                HoldUntilSubscribed = true,
                QueueCapacity = QueueCapacity,
            });
        }
        catch (Exception ex) when (ex is NetMQ.NetMQException or System.Net.Sockets.SocketException)
        {
            // NetMQ's own message ("Invalid protocol: foo", "Name or service not known") does not say which address.
            throw new IOException($"Cannot publish KV events on '{endpoint}': {ex.Message}", ex);
        }

        // The bound endpoint, before the wait: for an ephemeral port (tcp://127.0.0.1:*) it is where to subscribe.
        log?.WriteLine($"kv-events: listening on {publisher.Endpoint}");
        if (!publisher.WaitForSubscriber(waitForSubscriber))
        {
            log?.WriteLine($"kv-events: no subscriber on {publisher.Endpoint} within {waitForSubscriber.TotalSeconds:0.#} s; publishing anyway");
        }

        return publisher;
    }

    /// <summary>
    /// The hook for <c>ReplayOptions.AttachStore</c>: starts a publisher on the replay's store and, when the replay
    /// ends, waits up to a minute for every event to go out and reports what was published and dropped to
    /// <paramref name="log"/>.
    /// </summary>
    public static Func<TieredKvStore, IDisposable?> Attach(string endpoint, TextWriter? log = null) =>
        store => new Session(Start(store, endpoint, DefaultWait, log), log);

    private sealed class Session(ZmqKvEventPublisher publisher, TextWriter? log) : IDisposable
    {
        public void Dispose()
        {
            bool flushed = publisher.Flush(TimeSpan.FromMinutes(1));
            log?.WriteLine($"kv-events: {publisher.EventsPublished:N0} events in {publisher.BatchesPublished:N0} batches on " +
                $"{publisher.Endpoint}, {publisher.EventsDropped:N0} dropped{(flushed ? "" : ", some still queued after 1 min")}");
            publisher.Dispose();
        }
    }
}
