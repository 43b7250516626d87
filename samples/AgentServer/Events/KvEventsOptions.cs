namespace AgentServer.Events;

/// <summary>
/// Publishing the server's KV events on vLLM's ZeroMQ wire format, bound from <c>KvTiering:KvEvents</c>
/// (<c>--KvTiering:KvEvents:Endpoint=tcp://*:5557</c>). Off unless <see cref="Endpoint"/> is set. The names follow
/// vLLM's <c>KVEventsConfig</c> (<c>endpoint</c>, <c>replay_endpoint</c>, <c>topic</c>, <c>buffer_steps</c>, <c>hwm</c>).
/// </summary>
public sealed class KvEventsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KvTiering:KvEvents";

    /// <summary>
    /// The PUB endpoint, e.g. <c>tcp://*:5557</c> (vLLM's default); null (the default) publishes nothing and binds no
    /// port. As in vLLM, a wildcard, <c>ipc://</c> or <c>inproc://</c> address is bound, any other connected to;
    /// <c>tcp://127.0.0.1:*</c> binds a free port.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>The ROUTER endpoint that replays missed batches (vLLM's <c>replay_endpoint</c>), or null for none.</summary>
    public string? ReplayEndpoint { get; set; }

    /// <summary>The topic frame of every message (vLLM's default: empty).</summary>
    public string Topic { get; set; } = "";

    /// <summary>Batches kept for replay (vLLM's <c>buffer_steps</c>, default 10,000).</summary>
    public int BufferSteps { get; set; } = 10_000;

    /// <summary>The PUB socket's high-water mark in messages (vLLM's <c>hwm</c>, default 100,000).</summary>
    public int HighWaterMark { get; set; } = 100_000;

    /// <summary>
    /// The <c>PYTHONHASHSEED</c> the fleet's router hashes blocks with (vLLM's <c>sha256_cbor</c> scheme, whose first
    /// parent is <c>sha256_cbor(seed)</c>); default <c>"0"</c>. Published block hashes are those a router computes from
    /// the prompt's token ids with this seed and a block size of 16.
    /// </summary>
    public string HashSeed { get; set; } = "0";

    /// <summary>The data-parallel rank written into each batch (vLLM always writes one; default 0).</summary>
    public int DataParallelRank { get; set; }

    /// <summary>
    /// How long a stopping server waits for its queued events to be published (default 2 s); what is still queued
    /// then is dropped, and the count logged (<c>KvEventsDroppedAtShutdown</c>). Not one of vLLM's settings.
    /// </summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
