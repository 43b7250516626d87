using KvTiering.Devices;
using KvTiering.Security;
using KvTiering.Tiers;

namespace KvTiering.Redis;

/// <summary>
/// How a remote tier reaches its Redis-protocol server (Garnet, Redis or Valkey, standalone or cluster), names its
/// blocks there, expires them, and rides out faults.
/// </summary>
public sealed class RedisTierOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string: one or more <c>host:port</c> endpoints (a cluster is discovered
    /// from any of them) plus options such as <c>password=…</c> or <c>ssl=true</c>. Used by
    /// <see cref="RedisTier.Connect"/>; default <c>127.0.0.1:6379</c>.
    /// </summary>
    public string Configuration { get; set; } = "127.0.0.1:6379";

    /// <summary>
    /// Prefix of every server-side key (<c>{Namespace}:{block key hex}</c>). Stores that should share blocks use the
    /// same namespace; stores of different models must not. The block hasher's root key
    /// (<c>BlockHasher.Root.ToString()</c>) is a good choice: it already differs per model, layout and salt. Braces
    /// are rejected, since a cluster would read them as a hash tag and put every block on one node.
    /// </summary>
    public string Namespace { get; set; } = "kvtiering";

    /// <summary>
    /// How long a block lives on the server after it is written (default one hour); null keeps it until the server
    /// evicts it. A server shared by many stores needs an expiry or an eviction policy (<c>maxmemory-policy</c>),
    /// because a store that drops a block does not delete it (another store may be using it).
    /// </summary>
    public TimeSpan? Expiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Renew a block's <see cref="Expiry"/> each time it is read (default true), so a session that keeps returning
    /// keeps its blocks. The renewal is sent without waiting for its reply.
    /// </summary>
    public bool SlidingExpiry { get; set; } = true;

    /// <summary>
    /// Delete a block from the server when this store frees its slot (default false). Only for a server that one
    /// store owns: on a shared server it would delete blocks other stores still use.
    /// </summary>
    public bool DeleteOnFree { get; set; }

    /// <summary>
    /// Longest one command may take before the tier counts it as a fault and backs off (default 250 ms). Applied by
    /// <see cref="RedisTier.Connect"/> as the connection's synchronous and asynchronous timeouts, by every pipelined
    /// prefix match, and by the device to every awaited read and write on <see cref="TimeProvider"/> (the connection
    /// checks its asynchronous timeout only once a second, so a later reply would otherwise count as a success).
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How many block reads a prefetch keeps in flight on this tier (default 32; 1 to 1024, 1 reads one at a time). The
    /// connection pipelines them, so a prefetch of n blocks waits about n / ReadWindow round trips instead of n (190
    /// blocks behind a 20 ms relay: 0.14 s instead of 3.96 s, docs/benchmarks.md). Each read still has its own
    /// <see cref="OperationTimeout"/>, so a window larger than the server answers within it turns reads into timeouts.
    /// </summary>
    public int ReadWindow { get; set; } = 32;

    /// <summary>
    /// How many demotion writes into this tier a prefetch keeps in flight (default 32; 1 to 1024, 1 writes one at a
    /// time). When a prefetch moves blocks up into a full tier, each pushes a victim down here: one <c>SET</c> awaited after
    /// another, 190 blocks behind a 20 ms relay waited 4.0 s; in flight together, see docs/benchmarks.md
    /// (<c>remote-prefetch</c>). Each write still has its own <see cref="OperationTimeout"/>, and each victim leaves its
    /// place only once its own write landed.
    /// </summary>
    public int WriteWindow { get; set; } = 32;

    /// <summary>How long <see cref="RedisTier.Connect"/> waits for the first connection (default one second).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the tier stays unavailable after its first fault (default one second); each further fault in a row
    /// doubles it, up to <see cref="MaxBackoff"/>. While unavailable, lookups miss at once and writes are dropped. A
    /// connection that reports the server back ends the back-off at once; a connection from <see cref="RedisTier.Connect"/>
    /// tries a lost server again every this long (on the client's one-second heartbeat), however long the outage.
    /// </summary>
    public TimeSpan Backoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest back-off (default 30 seconds).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock behind the back-off (default the system clock; tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// The MAC that seals blocks when the tier has an authentication key (<see cref="Store.TierOptions.AuthenticationKey"/>);
    /// default <see cref="BlockMacAlgorithm.HmacSha256"/>. Every store sharing a namespace must use the same one.
    /// </summary>
    public BlockMacAlgorithm MacAlgorithm { get; set; } = BlockMacAlgorithm.HmacSha256;

    /// <summary>The tier's physical profile (default <see cref="RedisTier.Profile"/>).</summary>
    public TierProfile Profile { get; set; } = RedisTier.Profile;

    /// <summary>Checks every value.</summary>
    /// <exception cref="ArgumentException">A value is missing or out of range; the message names it.</exception>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            ThrowHelper.ThrowArgument(nameof(Configuration), "The Redis configuration string is empty.");
        }

        if (string.IsNullOrWhiteSpace(Namespace) || Namespace.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            ThrowHelper.ThrowArgument(nameof(Namespace),
                $"Namespace '{Namespace}' must be non-empty and contain no braces (a cluster reads them as a hash tag).");
        }

        if (Expiry is { } expiry && expiry < TimeSpan.FromMilliseconds(1))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(Expiry), expiry, $"Expiry {expiry} must be at least one millisecond, or null.");
        }

        RequirePositive(OperationTimeout, nameof(OperationTimeout));
        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(Backoff, nameof(Backoff));
        if (MaxBackoff < Backoff)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(MaxBackoff), MaxBackoff, $"MaxBackoff {MaxBackoff} is below Backoff {Backoff}.");
        }

        if (ReadWindow is < 1 or > 1024)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(ReadWindow), ReadWindow, $"ReadWindow {ReadWindow} must be 1 to 1024.");
        }

        if (WriteWindow is < 1 or > 1024)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(WriteWindow), WriteWindow, $"WriteWindow {WriteWindow} must be 1 to 1024.");
        }

        if (TimeProvider is null)
        {
            ThrowHelper.ThrowArgument(nameof(TimeProvider), "TimeProvider is null.");
        }

        if (!Enum.IsDefined(MacAlgorithm))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(MacAlgorithm), MacAlgorithm, $"Unknown MAC algorithm {MacAlgorithm}.");
        }

        if (Profile is null)
        {
            ThrowHelper.ThrowArgument(nameof(Profile), "Profile is null.");
        }
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromMilliseconds(int.MaxValue))
        {
            ThrowHelper.ThrowArgumentOutOfRange(name, value, $"{name} {value} must be positive and below 24 days.");
        }
    }
}
