using KvTiering.Caching;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace KvTiering.Extensions.Tests;

/// <summary>KvTiering as the L2 of the real HybridCache (Microsoft.Extensions.Caching.Hybrid).</summary>
public sealed class HybridCacheL2Tests : IDisposable
{
    private const int BigPayload = 3 * 1024 * 1024;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ServiceProvider Build(string? flash = null, int maxPayload = 16 * 1024 * 1024, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddKvTiering(o =>
        {
            o.MemoryBytes = 16L << 20;
            o.FlashDirectory = flash;
            o.FlashBytes = 64L << 20;
        });
        services.AddHybridCache(o => o.MaximumPayloadBytes = maxPayload);
        return services.BuildServiceProvider();
    }

    private static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task HybridCache_writes_through_to_KvTiering_and_reads_back_the_same_bytes()
    {
        using ServiceProvider provider = Build();
        HybridCache hybrid = provider.GetRequiredService<HybridCache>();
        byte[] state = Payload(50_000, 1);
        int calls = 0;

        byte[] first = await hybrid.GetOrCreateAsync("session:1", _ => { calls++; return ValueTask.FromResult(state); });
        byte[] second = await hybrid.GetOrCreateAsync("session:1", _ => { calls++; return ValueTask.FromResult(Payload(1, 9)); });

        Assert.Equal(1, calls);
        Assert.Equal(state, first);
        Assert.Equal(state, second);
        byte[]? l2 = provider.GetRequiredService<IDistributedCache>().Get("session:1");
        Assert.NotNull(l2);
        Assert.True(l2.Length >= state.Length); // HybridCache's payload: a header and the value
    }

    [Fact]
    public async Task A_value_above_the_default_1_MiB_limit_round_trips_through_L2_across_a_restart()
    {
        string flash = _temp.Sub("flash");
        byte[] state = Payload(BigPayload, 2);
        using (ServiceProvider provider = Build(flash))
        {
            HybridCache hybrid = provider.GetRequiredService<HybridCache>();
            Assert.Equal(state, await hybrid.GetOrCreateAsync("agent:big", _ => ValueTask.FromResult(state)));
            Assert.True(provider.GetRequiredService<TieredKvStore>().Count > BigPayload / (16 * 1024));
        }

        // A new process: empty L1, the store reopened from flash. The factory must not run.
        using ServiceProvider restarted = Build(flash);
        byte[] found = await restarted.GetRequiredService<HybridCache>().GetOrCreateAsync<byte[]>(
            "agent:big", _ => throw new InvalidOperationException("the value should have come from L2"));
        Assert.Equal(state, found);
    }

    [Fact]
    public async Task With_the_default_payload_limit_HybridCache_keeps_large_values_out_of_L2()
    {
        using ServiceProvider provider = Build(maxPayload: 1024 * 1024);
        HybridCache hybrid = provider.GetRequiredService<HybridCache>();
        await hybrid.GetOrCreateAsync("agent:big", _ => ValueTask.FromResult(Payload(BigPayload, 3)));

        Assert.Null(provider.GetRequiredService<IDistributedCache>().Get("agent:big"));
        Assert.Equal(0, provider.GetRequiredService<TieredKvStore>().Count);
    }

    [Fact]
    public async Task HybridCache_remove_and_set_reach_the_store()
    {
        using ServiceProvider provider = Build();
        HybridCache hybrid = provider.GetRequiredService<HybridCache>();
        var l2 = provider.GetRequiredService<KvTieringDistributedCache>();
        await hybrid.SetAsync("k", Payload(40_000, 4));
        Assert.NotNull(l2.Get("k"));

        await hybrid.RemoveAsync("k");
        Assert.Null(l2.Get("k"));
        Assert.Equal(0, provider.GetRequiredService<TieredKvStore>().Count);
    }

    [Fact]
    public async Task The_L2_entry_expires_on_the_containers_clock_as_HybridCache_asked()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using ServiceProvider provider = Build(time: time);
        HybridCache hybrid = provider.GetRequiredService<HybridCache>();
        await hybrid.SetAsync("k", Payload(100, 5), new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(10) });
        var l2 = provider.GetRequiredService<IDistributedCache>();

        time.Advance(TimeSpan.FromMinutes(9));
        Assert.NotNull(l2.Get("k"));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(l2.Get("k"));
    }
}
