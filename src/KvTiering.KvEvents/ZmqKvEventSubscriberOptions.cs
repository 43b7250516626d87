namespace KvTiering.KvEvents;

/// <summary>How a <see cref="ZmqKvEventSubscriber"/> follows a publisher besides its PUB endpoint.</summary>
public sealed class ZmqKvEventSubscriberOptions
{
    /// <summary>
    /// The publisher's ROUTER replay endpoint (vLLM's <c>replay_endpoint</c>, e.g. <c>tcp://host:5558</c>), or null for
    /// none. With one, the subscriber asks it for what it missed whenever it connects, and to fill sequence gaps.
    /// </summary>
    public string? ReplayEndpoint { get; set; }

    /// <summary>The topic to subscribe to (vLLM's default: empty, everything).</summary>
    public string Topic { get; set; } = "";

    /// <summary>
    /// How long a replay may wait for the publisher's next reply before it is asked again (default 10 s). The publisher
    /// answers on the thread that publishes, so a busy machine can stall it for seconds.
    /// </summary>
    public TimeSpan ReplayTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a replay is asked for before the subscriber gives up and forgets the publisher (default 3).</summary>
    public int ReplayAttempts { get; set; } = 3;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Topic);
        if (ReplayTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ReplayTimeout), ReplayTimeout, "The replay timeout must be positive.");
        }

        if (ReplayAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ReplayAttempts), ReplayAttempts, "A replay is asked for at least once.");
        }
    }
}
