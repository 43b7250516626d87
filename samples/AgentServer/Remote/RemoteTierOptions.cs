namespace AgentServer.Remote;

/// <summary>
/// A shared remote tier below flash on a Redis-protocol server (Garnet, Redis, Valkey), bound from
/// <c>KvTiering:Redis</c> (<c>--KvTiering:Redis:Configuration=garnet:6379,password=…</c>). Off unless
/// <see cref="Configuration"/> is set. docs/remote-tier.md describes the tier; docs/reliability.md what a client of the
/// server sees when the remote server fails.
/// </summary>
public sealed class RemoteTierOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KvTiering:Redis";

    /// <summary>
    /// A StackExchange.Redis configuration string (<c>host:port[,host:port…][,password=…][,ssl=true]</c>); null (the
    /// default) runs without a remote tier. A server that is down at start is waited for in the background; one that
    /// refuses the password stops the start, naming this setting.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>How many bytes of blocks this server keeps track of on the remote server (default 4 GiB).</summary>
    public long Bytes { get; set; } = 4L << 30;

    /// <summary>
    /// The prefix of the server-side keys; default the model's block-hasher root, so servers of one model share
    /// blocks and other models never collide.
    /// </summary>
    public string? Namespace { get; set; }

    /// <summary>The longest one remote call may take before it counts as a fault and the tier backs off (default 250 ms).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How many block reads a queued request's prefetch keeps in flight on the remote tier (default 32, 1 to 1024; 1: one
    /// at a time), so it waits about its chunks / ReadWindow round trips instead of one per chunk.
    /// </summary>
    public int ReadWindow { get; set; } = 32;

    /// <summary>
    /// How many demotion writes into the remote tier a prefetch keeps in flight (default 32, 1 to 1024; 1: one
    /// <c>SET</c> at a time), so a prefetch into a full DRAM tier does not wait a round trip per victim it pushes down.
    /// </summary>
    public int WriteWindow { get; set; } = 32;

    /// <summary>
    /// Whether demotions into the remote tier are written off the put's path by the store's write-behind worker
    /// (<c>TierOptions.WriteBehind</c>), <see cref="WriteWindow"/> of them in flight at once, through a queue of four
    /// windows' blocks; a demotion that finds the queue full is written on the put's path, never dropped. Default true
    /// since wb27, once the remote drill's parts 0–3 left the same values on the server with it as without (a put into
    /// the full remote tier used to be declined, undoing its snapshot's save; docs/history/reliability.md, "After wb27"); false:
    /// every put's demotion waits for its <c>SET</c>, as before.
    /// </summary>
    public bool WriteBehind { get; set; } = true;

    /// <summary>How long the first connection is waited for at start (default 1 s); the server starts without the tier after it.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the tier stays unavailable after its first fault in a row (default 1 s, doubling per fault); a lost
    /// server is tried again every this long (on the client's one-second heartbeat), so the log's "is back" comes at
    /// most about that long after the server answers.
    /// </summary>
    public TimeSpan Backoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest back-off (default 30 s). The tier is used again as soon as its connection reports the server back
    /// (the log's "is back"); without that report, at most this long after the server.
    /// </summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A secret of at least 32 bytes, base64, that seals every block on the remote server (HMAC-SHA256 over key, parent,
    /// length and payload; docs/security.md), so a value that anyone with write access to the server forged, even with
    /// valid checksums, is a miss. Null (the default): checksums only. Every server sharing the namespace needs the same
    /// secret; pass it through the environment (<c>KvTiering__Redis__AuthenticationKey</c>), not the command line.
    /// </summary>
    public string? AuthenticationKey { get; set; }

    /// <summary>
    /// Whether each saved snapshot is copied to the remote server right after its save, in the background (default
    /// true; <c>LlamaPrefixCacheOptions.ShareSnapshots</c>): chunks first, the manifest once they are all there, then the
    /// waypoints, so a server that dies does not take its newest sessions with it (docs/reliability.md, "A fleet on one
    /// Garnet"). False: a snapshot reaches the server only when the store demotes it. Costs one SET per chunk per save.
    /// </summary>
    public bool ShareSnapshots { get; set; } = true;
}
