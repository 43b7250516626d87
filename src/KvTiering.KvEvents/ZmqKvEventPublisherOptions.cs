namespace KvTiering.KvEvents;

/// <summary>Where and how a <see cref="ZmqKvEventPublisher"/> publishes; defaults are vLLM's (<c>KVEventsConfig</c>).</summary>
public sealed class ZmqKvEventPublisherOptions
{
    /// <summary>
    /// The PUB endpoint. As in vLLM, an address with <c>*</c> or <c>::</c>, or an <c>ipc://</c> / <c>inproc://</c> one,
    /// is bound; any other is connected to. <c>tcp://127.0.0.1:*</c> binds an ephemeral port (see
    /// <see cref="ZmqKvEventPublisher.Endpoint"/>).
    /// </summary>
    public string Endpoint { get; set; } = "tcp://*:5557";

    /// <summary>
    /// True to bind <see cref="Endpoint"/>, false to connect to it; null (the default) for vLLM's rule above.
    /// </summary>
    public bool? Bind { get; set; }

    /// <summary>
    /// True to publish nothing (events queue up) until a first subscriber subscribes or
    /// <see cref="ZmqKvEventPublisher.WaitForSubscriber"/> returns, so the snapshot batch is not lost to nobody.
    /// </summary>
    public bool HoldUntilSubscribed { get; set; }

    /// <summary>The ROUTER endpoint that serves replays of missed batches, or null for none (vLLM's default: none).</summary>
    public string? ReplayEndpoint { get; set; }

    /// <summary>The topic frame of every message.</summary>
    public string Topic { get; set; } = "";

    /// <summary>Batches kept for replay.</summary>
    public int BufferSteps { get; set; } = 10_000;

    /// <summary>The PUB socket's high-water mark, in messages.</summary>
    public int HighWaterMark { get; set; } = 100_000;

    /// <summary>Most events in one batch.</summary>
    public int MaxEventsPerBatch { get; set; } = 1_024;

    /// <summary>Capacity of the publisher's subscription to the store; events beyond it are dropped and counted.</summary>
    public int QueueCapacity { get; set; } = 1 << 20;

    /// <summary>Tokens per block, reported in <c>BlockStored</c> (default: the store layout's).</summary>
    public int? BlockSize { get; set; }

    /// <summary>The LoRA adapter name of the store's blocks, or null.</summary>
    public string? LoraName { get; set; }

    /// <summary>The cache salt of the store's namespace, published in the first block's extra keys, or null.</summary>
    public string? CacheSalt { get; set; }

    /// <summary>The data-parallel rank written into each batch (vLLM always writes its rank).</summary>
    public int? DataParallelRank { get; set; } = 0;

    /// <summary>
    /// How long <see cref="ZmqKvEventPublisher.Dispose"/> waits for the queued events to be published, and how long the
    /// socket then lingers to send them (default 2 s). Events still queued after it are dropped: the publisher logs how
    /// many (<c>KvEventsDroppedAtShutdown</c>, event 313), so a CPU-starved shutdown does not lose its last events
    /// silently. Zero publishes nothing more once disposal starts.
    /// </summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(2);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Endpoint);
        Positive(BufferSteps, nameof(BufferSteps));
        Positive(HighWaterMark, nameof(HighWaterMark));
        Positive(MaxEventsPerBatch, nameof(MaxEventsPerBatch));
        Positive(QueueCapacity, nameof(QueueCapacity));
        if (FlushTimeout < TimeSpan.Zero || FlushTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(FlushTimeout), FlushTimeout,
                $"FlushTimeout {FlushTimeout} must be zero or positive and below 24 days (shutdown waits at most this long).");
        }

        if (BlockSize is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, "Tokens per block cannot be negative.");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }
}
