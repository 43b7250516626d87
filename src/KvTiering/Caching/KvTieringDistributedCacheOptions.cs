using Microsoft.Extensions.Logging;

namespace KvTiering.Caching;

/// <summary>How a <see cref="KvTieringDistributedCache"/> names and times its entries.</summary>
public sealed class KvTieringDistributedCacheOptions
{
    /// <summary>
    /// A namespace for this cache's keys: caches over one store with different instance names never see each other's
    /// entries (default empty).
    /// </summary>
    public string InstanceName { get; set; } = string.Empty;

    /// <summary>The clock that absolute and sliding expiration are measured on (default: the system clock).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the cache logs values it could not keep. Null (the default): nowhere.</summary>
    public ILogger? Logger { get; set; }
}
