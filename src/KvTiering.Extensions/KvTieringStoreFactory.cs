using System.Diagnostics.Metrics;
using KvTiering.Blocks;
using KvTiering.Caching;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvTiering.Extensions;

/// <summary>Builds the store and the cache that a registration describes, from its validated options.</summary>
internal static class KvTieringStoreFactory
{
    /// <summary>The model id of the layout used when no model preset is named: blocks of plain bytes.</summary>
    internal const string CacheModelId = "kvtiering-cache";

    /// <summary>The configuration path of the options called <paramref name="name"/>.</summary>
    public static string SectionOf(string? name) =>
        string.IsNullOrEmpty(name) ? KvTieringOptions.SectionName : $"{KvTieringOptions.SectionName}:{name}";

    public static TieredKvStore CreateStore(IServiceProvider services, string name)
    {
        KvTieringOptions options = services.GetRequiredService<IOptionsMonitor<KvTieringOptions>>().Get(name);
        KvStoreOptions storeOptions = ToStoreOptions(options);
        storeOptions.Name = string.IsNullOrEmpty(name) ? null : name;
        storeOptions.TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        storeOptions.MeterFactory = services.GetService<IMeterFactory>();
        storeOptions.Logger = services.GetService<ILoggerFactory>()?.CreateLogger<TieredKvStore>();
        return new TieredKvStore(storeOptions);
    }

    public static KvTieringDistributedCache CreateCache(IServiceProvider services, TieredKvStore store, string name)
    {
        KvTieringOptions options = services.GetRequiredService<IOptionsMonitor<KvTieringOptions>>().Get(name);
        return new KvTieringDistributedCache(store, new KvTieringDistributedCacheOptions
        {
            InstanceName = options.InstanceName,
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
            Logger = services.GetService<ILoggerFactory>()?.CreateLogger<KvTieringDistributedCache>(),
        });
    }

    /// <summary>The store options that validated <paramref name="options"/> describe (no clock, meter or logger yet).</summary>
    public static KvStoreOptions ToStoreOptions(KvTieringOptions options)
    {
        KvLayout layout = options.Model is { } model
            ? ModelPresets.FromName(model).Layout(options.TokensPerBlock)
            : new KvLayout(CacheModelId, layers: 1, kvHeads: 1, headDim: options.BlockBytes / 2, elementBytes: 1, tokensPerBlock: 1);
        long blockBytes = layout.BytesPerBlock;
        var storeOptions = new KvStoreOptions
        {
            Layout = layout,
            Promotion = options.Promotion,
            FlushOnDispose = options.FlushOnDispose,
        };

        if (options.MemoryBytes > 0)
        {
            storeOptions.Tiers.Add(new TierOptions(TierProfiles.FromName(options.MemoryTier), (int)(options.MemoryBytes / blockBytes))
            {
                Policy = EvictionPolicies.FromName(options.MemoryPolicy),
            });
        }

        if (options.FlashDirectory is { } directory)
        {
            storeOptions.Tiers.Add(new TierOptions(TierProfiles.Flash, (int)(options.FlashBytes / blockBytes))
            {
                Policy = EvictionPolicies.FromName(options.FlashPolicy),
                Directory = directory,
                Compression = options.FlashCompression,
            });
        }

        return storeOptions;
    }
}
