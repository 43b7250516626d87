using KvTiering.Caching;
using KvTiering.Extensions;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers KvTiering stores and their distributed-cache face.</summary>
public static class KvTieringServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="TieredKvStore"/> singleton and a <see cref="KvTieringDistributedCache"/> over it, which
    /// <see cref="IDistributedCache"/> and <see cref="IBufferDistributedCache"/> resolve to (so HybridCache uses it as
    /// its L2) unless an <see cref="IDistributedCache"/> is registered already. Options bind from the configuration
    /// section <c>KvTiering</c> when the container has an <c>IConfiguration</c>, then <paramref name="configure"/>
    /// runs; they are validated at start, and a key under the section that is no setting fails too. Registers what
    /// it needs — options, metrics (<c>AddMetrics</c>) and <see cref="TimeProvider.System"/> — with <c>TryAdd</c>, so it
    /// works in a bare <see cref="IServiceCollection"/>.
    /// </summary>
    /// <remarks>
    /// Every registration is a TryAdd: register your own <see cref="TieredKvStore"/> first to keep full control of its
    /// tiers, and this wraps it. The container disposes the store (flushing memory blocks to flash by default).
    /// </remarks>
    public static IServiceCollection AddKvTiering(this IServiceCollection services, Action<KvTieringOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddCore(services, Options.Options.DefaultName, configure);
        services.TryAddSingleton(static sp => KvTieringStoreFactory.CreateStore(sp, Options.Options.DefaultName));
        services.TryAddSingleton(static sp =>
            KvTieringStoreFactory.CreateCache(sp, sp.GetRequiredService<TieredKvStore>(), Options.Options.DefaultName));

        // Both faces or neither: an IDistributedCache registered elsewhere (Redis, memory) keeps both roles.
        if (!services.Any(static d => !d.IsKeyedService && d.ServiceType == typeof(IDistributedCache)))
        {
            services.AddSingleton<IDistributedCache>(static sp => sp.GetRequiredService<KvTieringDistributedCache>());
            services.TryAddSingleton<IBufferDistributedCache>(static sp => sp.GetRequiredService<KvTieringDistributedCache>());
        }

        return services;
    }

    /// <summary>
    /// Registers a store and its distributed cache as keyed services under <paramref name="serviceKey"/>, for more
    /// than one store in a container: <see cref="TieredKvStore"/>, <see cref="KvTieringDistributedCache"/>,
    /// <see cref="IDistributedCache"/> and <see cref="IBufferDistributedCache"/> all resolve with that key
    /// (<c>[FromKeyedServices("name")]</c>). Options are named <paramref name="serviceKey"/> and bind from the
    /// section <c>KvTiering:{serviceKey}</c>; the store's metrics carry <c>kvtiering.store={serviceKey}</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="serviceKey"/> is empty.</exception>
    public static IServiceCollection AddKeyedKvTiering(this IServiceCollection services, string serviceKey,
        Action<KvTieringOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceKey);
        AddCore(services, serviceKey, configure);
        services.TryAddKeyedSingleton(serviceKey, static (sp, key) => KvTieringStoreFactory.CreateStore(sp, (string)key!));
        services.TryAddKeyedSingleton(serviceKey, static (sp, key) =>
            KvTieringStoreFactory.CreateCache(sp, sp.GetRequiredKeyedService<TieredKvStore>(key), (string)key!));
        services.TryAddKeyedSingleton<IDistributedCache>(serviceKey,
            static (sp, key) => sp.GetRequiredKeyedService<KvTieringDistributedCache>(key));
        services.TryAddKeyedSingleton<IBufferDistributedCache>(serviceKey,
            static (sp, key) => sp.GetRequiredKeyedService<KvTieringDistributedCache>(key));
        return services;
    }

    private static void AddCore(IServiceCollection services, string name, Action<KvTieringOptions>? configure)
    {
        services.AddOptions();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KvTieringOptions>, KvTieringConfigureOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KvTieringOptions>, KvTieringOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KvTieringOptions>, KvTieringUnknownSettingsValidator>());
        if (!services.Any(d => d.ImplementationInstance is KvTieringRegistration r && r.Name == name))
        {
            services.AddSingleton(new KvTieringRegistration(name));
        }

        OptionsBuilder<KvTieringOptions> builder = services.AddOptions<KvTieringOptions>(name);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        builder.ValidateOnStart();
    }
}
