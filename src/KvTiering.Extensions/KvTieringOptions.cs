using KvTiering.Store;

namespace KvTiering.Extensions;

/// <summary>
/// What <c>services.AddKvTiering()</c> builds: the block size, a memory tier and optionally a flash tier, and the
/// distributed cache's namespace. Bound from the configuration section <c>KvTiering</c> (<c>KvTiering:{name}</c> for
/// a keyed store) and then from the code's configure delegate; validated at start. With nothing set: one 256 MiB
/// DRAM tier of 16 KiB blocks, LRU.
/// </summary>
public sealed class KvTieringOptions
{
    /// <summary>The configuration section the default store binds from; a keyed store binds from <c>KvTiering:{key}</c>.</summary>
    public const string SectionName = "KvTiering";

    /// <summary>
    /// A model preset (for example <c>llama-3.1-8b</c>) whose KV blocks the store holds, for a server that also keeps
    /// KV blocks in it. Null (the default): blocks of <see cref="BlockBytes"/>.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>Tokens per KV block when <see cref="Model"/> is set (default 16).</summary>
    public int TokensPerBlock { get; set; } = 16;

    /// <summary>Bytes per block when <see cref="Model"/> is not set: an even number, at least 256 (default 16 KiB).</summary>
    public int BlockBytes { get; set; } = 16 * 1024;

    /// <summary>The memory tier's profile: sram, hbm3, hbm3e, gddr7, dram (default) — it sets the modeled time and energy.</summary>
    public string MemoryTier { get; set; } = "dram";

    /// <summary>Capacity of the memory tier in bytes (default 256 MiB); 0 for none, which needs a flash tier.</summary>
    public long MemoryBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The memory tier's eviction policy (default <c>clock</c>; any name of KvTiering.Eviction.EvictionPolicies).</summary>
    public string MemoryPolicy { get; set; } = "clock";

    /// <summary>
    /// A directory for a flash tier below the memory tier: its blocks live in a file there and survive restarts.
    /// Null (the default): no flash tier. Its parent directory must exist.
    /// </summary>
    public string? FlashDirectory { get; set; }

    /// <summary>Capacity of the flash tier in bytes (default 1 GiB; the file is sparse until written).</summary>
    public long FlashBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>The flash tier's eviction policy (default <c>clock</c>).</summary>
    public string FlashPolicy { get; set; } = "clock";

    /// <summary>Compress flash blocks with LZ4 (default false).</summary>
    public bool FlashCompression { get; set; }

    /// <summary>Where a hit in the flash tier moves its block (default: to the memory tier).</summary>
    public PromotionMode Promotion { get; set; } = PromotionMode.ToTop;

    /// <summary>
    /// Demote the memory tier's blocks to flash when the store is disposed (at host shutdown), so they survive the
    /// restart (default true; only matters with a flash tier).
    /// </summary>
    public bool FlushOnDispose { get; set; } = true;

    /// <summary>The distributed cache's key namespace (default empty); see KvTiering.Caching.KvTieringDistributedCacheOptions.</summary>
    public string InstanceName { get; set; } = string.Empty;
}
