using KvTiering.Caching;
using KvTiering.Extensions;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvTiering.Extensions.Tests;

public sealed class AddKvTieringTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_bare_service_collection_gets_a_working_in_memory_store_and_cache()
    {
        using ServiceProvider provider = new ServiceCollection().AddKvTiering().BuildServiceProvider(validateScopes: true);

        TieredKvStore store = provider.GetRequiredService<TieredKvStore>();
        Assert.Equal(1, store.TierCount);
        Assert.Equal("dram", store.TierProfileAt(0).Name);
        Assert.Equal(16 * 1024, store.BlockBytes);
        Assert.Equal(256 * 1024 / 16, store.GetStatistics().Tiers[0].CapacityBlocks);

        IDistributedCache cache = provider.GetRequiredService<IDistributedCache>();
        cache.Set("state", [1, 2, 3]);
        Assert.Equal([1, 2, 3], cache.Get("state"));
        Assert.Same(store, ((KvTieringDistributedCache)cache).Store);
    }

    [Fact]
    public void Both_cache_interfaces_resolve_to_the_one_cache_and_time_and_metrics_are_registered()
    {
        using ServiceProvider provider = new ServiceCollection().AddKvTiering().BuildServiceProvider();
        var cache = provider.GetRequiredService<KvTieringDistributedCache>();
        Assert.Same(cache, provider.GetRequiredService<IDistributedCache>());
        Assert.Same(cache, provider.GetRequiredService<IBufferDistributedCache>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        Assert.NotNull(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
    }

    [Fact]
    public void A_flash_directory_adds_a_flash_tier_whose_entries_outlive_the_provider()
    {
        string flash = _temp.Sub("flash");
        void Configure(KvTieringOptions o)
        {
            o.MemoryBytes = 1 << 20;
            o.FlashDirectory = flash;
            o.FlashBytes = 8 << 20;
        }

        using (ServiceProvider first = new ServiceCollection().AddKvTiering(Configure).BuildServiceProvider())
        {
            TieredKvStore store = first.GetRequiredService<TieredKvStore>();
            Assert.Equal(2, store.TierCount);
            Assert.Equal("flash", store.TierProfileAt(1).Name);
            first.GetRequiredService<IDistributedCache>().Set("agent:1", new byte[100_000]);
        }

        Assert.True(File.Exists(Path.Combine(flash, Devices.FlashDevice.FileName)));
        using ServiceProvider second = new ServiceCollection().AddKvTiering(Configure).BuildServiceProvider();
        Assert.Equal(new byte[100_000], second.GetRequiredService<IDistributedCache>().Get("agent:1"));
    }

    [Fact]
    public void Options_bind_from_the_KvTiering_section_and_the_delegate_runs_after_it()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KvTiering:BlockBytes"] = "4096",
            ["KvTiering:MemoryBytes"] = "1048576",
            ["KvTiering:MemoryTier"] = "hbm3",
            ["KvTiering:MemoryPolicy"] = "s3fifo",
            ["KvTiering:Promotion"] = "Never",
            ["KvTiering:InstanceName"] = "from-config",
        }).Build();
        var services = new ServiceCollection().AddSingleton(configuration);
        services.AddKvTiering(o => o.InstanceName = "from-code");
        using ServiceProvider provider = services.BuildServiceProvider();

        KvTieringOptions options = provider.GetRequiredService<IOptions<KvTieringOptions>>().Value;
        Assert.Equal(PromotionMode.Never, options.Promotion);
        Assert.Equal("from-code", options.InstanceName);
        TieredKvStore store = provider.GetRequiredService<TieredKvStore>();
        Assert.Equal(4096, store.BlockBytes);
        Assert.Equal("hbm3", store.TierProfileAt(0).Name);
        Assert.Equal(256, store.GetStatistics().Tiers[0].CapacityBlocks);
        Assert.Equal("s3fifo", store.GetStatistics().Tiers[0].Policy);
    }

    [Fact]
    public void A_model_preset_sizes_the_blocks_as_KV_blocks()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddKvTiering(o => (o.Model, o.TokensPerBlock, o.MemoryBytes) = ("qwen2.5-7b", 4, 64L << 20))
            .BuildServiceProvider();
        TieredKvStore store = provider.GetRequiredService<TieredKvStore>();
        Assert.Equal(57_344 * 4, store.BlockBytes);
        Assert.Equal("qwen2.5-7b", store.Layout!.ModelId);
    }

    [Fact]
    public void Registrations_are_TryAdd_so_a_second_call_or_an_existing_cache_wins_nothing_twice()
    {
        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddKvTiering().AddKvTiering();

        Assert.Single(services, d => d.ServiceType == typeof(TieredKvStore));
        Assert.Single(services, d => d.ServiceType == typeof(KvTieringDistributedCache));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IBufferDistributedCache));
        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.IsType<MemoryDistributedCache>(provider.GetRequiredService<IDistributedCache>());
    }

    [Fact]
    public void A_store_registered_first_is_the_one_the_cache_wraps()
    {
        var storeOptions = new KvStoreOptions { Layout = new Blocks.KvLayout("mine", 1, 1, 512, 1, 1) };
        storeOptions.Tiers.Add(new TierOptions(Tiers.TierProfiles.Sram, 8));
        using var mine = new TieredKvStore(storeOptions);
        var services = new ServiceCollection().AddSingleton(mine);
        services.AddKvTiering();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Same(mine, provider.GetRequiredService<KvTieringDistributedCache>().Store);
    }

    [Fact]
    public void Keyed_stores_are_separate_and_bind_their_own_sections()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KvTiering:small:MemoryBytes"] = "262144",
            ["KvTiering:big:MemoryBytes"] = "4194304",
        }).Build();
        var services = new ServiceCollection().AddSingleton(configuration);
        services.AddKeyedKvTiering("small").AddKeyedKvTiering("big", o => o.BlockBytes = 8192);
        using ServiceProvider provider = services.BuildServiceProvider();

        TieredKvStore small = provider.GetRequiredKeyedService<TieredKvStore>("small");
        TieredKvStore big = provider.GetRequiredKeyedService<TieredKvStore>("big");
        Assert.NotSame(small, big);
        Assert.Equal(16, small.GetStatistics().Tiers[0].CapacityBlocks);
        Assert.Equal(512, big.GetStatistics().Tiers[0].CapacityBlocks);
        Assert.Null(provider.GetService<TieredKvStore>());

        IDistributedCache smallCache = provider.GetRequiredKeyedService<IDistributedCache>("small");
        Assert.Same(smallCache, provider.GetRequiredKeyedService<IBufferDistributedCache>("small"));
        smallCache.Set("k", [7]);
        Assert.Equal([7], smallCache.Get("k"));
        Assert.Null(provider.GetRequiredKeyedService<IDistributedCache>("big").Get("k"));
        Assert.Equal(1, small.Count);
        Assert.Equal(0, big.Count);
    }

    [Fact]
    public void Keyed_and_default_registrations_live_side_by_side()
    {
        using ServiceProvider provider = new ServiceCollection().AddKvTiering().AddKeyedKvTiering("other").BuildServiceProvider();
        Assert.NotSame(provider.GetRequiredService<TieredKvStore>(), provider.GetRequiredKeyedService<TieredKvStore>("other"));
        Assert.IsType<KvTieringDistributedCache>(provider.GetRequiredService<IDistributedCache>());
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddKeyedKvTiering(" "));
    }
}
