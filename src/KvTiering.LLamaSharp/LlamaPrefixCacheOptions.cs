using KvTiering.Store;

namespace KvTiering.LLamaSharp;

/// <summary>How a <see cref="LlamaPrefixCache"/> finds, restores and replaces snapshots.</summary>
public sealed class LlamaPrefixCacheOptions
{
    private int _minPrefillTokens = 2;
    private int _waypointInterval = 8;

    /// <summary>
    /// Prompt tokens always left to prefill after a restore (default 2, at least 1: logits come from a decode).
    /// </summary>
    /// <remarks>
    /// llama.cpp's CPU kernels compute a lone token (a one-token batch takes the vector path) slightly differently from
    /// a token inside a batch of two or more (the tiled GEMM path). With two or more tokens left, the next token's
    /// logits after a restore come out bit-identical to a full prefill's, provided the caller never decodes a prompt
    /// token alone either.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int MinPrefillTokens
    {
        get => _minPrefillTokens;
        set
        {
            if (value < 1)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(MinPrefillTokens), value,
                    $"MinPrefillTokens {value} must be at least 1: the first logits come from a decode.");
            }

            _minPrefillTokens = value;
        }
    }

    /// <summary>
    /// Every this many token blocks inside a snapshot, a waypoint points at it (default 8; 0 stores none), so a prompt
    /// that diverges inside a snapshot still reuses its common prefix. Each waypoint takes one store block.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int WaypointInterval
    {
        get => _waypointInterval;
        set
        {
            if (value < 0)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(WaypointInterval), value,
                    $"WaypointInterval {value} must be 0 (none) or a positive number of blocks.");
            }

            _waypointInterval = value;
        }
    }

    /// <summary>
    /// When a save covers a longer prefix than snapshots already stored for the same tokens, remove those shorter ones
    /// (default true): a growing conversation then keeps one snapshot, not one per turn.
    /// </summary>
    public bool RemoveSupersededSnapshots { get; set; } = true;

    /// <summary>
    /// When a prompt leaves a restored snapshot at least <see cref="WaypointInterval"/> blocks before its end (it shares
    /// only a prefix with it: a system prompt, a forked or edited conversation), save that shared prefix as a snapshot of
    /// its own right after the restore (default true). Later prompts that share it then read only it, and
    /// <see cref="RemoveSupersededSnapshots"/> keeps it. Costs one save of the shared tokens' state, once per prefix.
    /// </summary>
    public bool SaveSharedPrefixes { get; set; } = true;

    /// <summary>
    /// Copy each stored snapshot to the store's shared tier right after the save (<see cref="TieredKvStore.ShareAsync"/>;
    /// a Redis or Garnet tier other servers read), in the background: chunks first, the manifest once they are all
    /// there, the waypoints after it. Null (the default): on when the store has a shared tier that takes copies
    /// (<see cref="TieredKvStore.CanShare"/>), since a fleet shares that tier so that a session outlives its server, and
    /// without it a snapshot reaches the tier only when the store demotes it. True with no such tier is an error.
    /// </summary>
    public bool? ShareSnapshots { get; set; }
}
