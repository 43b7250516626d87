using KvTiering.Caching;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Caching.CacheTestKit;

namespace KvTiering.Tests.Caching;

public sealed class DistributedCacheExpirationTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly TieredKvStore _store = NewStore();
    private readonly KvTieringDistributedCache _cache;

    public DistributedCacheExpirationTests() => _cache = NewCache(_store, _time);

    public void Dispose() => _store.Dispose();

    [Theory]
    [InlineData(10)]
    [InlineData(4 * BlockBytes)]
    public void A_relative_absolute_expiry_serves_until_the_instant_and_then_misses_and_frees_the_blocks(int length)
    {
        _cache.Set("k", Value(length, 1), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) });

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.NotNull(_cache.Get("k"));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(_cache.Get("k"));
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public void A_fixed_absolute_expiry_is_honoured_and_one_in_the_past_is_refused()
    {
        DateTimeOffset at = _time.GetUtcNow().AddHours(1);
        _cache.Set("k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = at });
        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(_cache.Get("k"));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(_cache.Get("k"));

        var past = new DistributedCacheEntryOptions { AbsoluteExpiration = _time.GetUtcNow() };
        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => _cache.Set("k", [1], past));
        Assert.Contains("must be in the future", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_read_slides_the_window()
    {
        _cache.Set("k", Value(3 * BlockBytes, 1), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });
        for (int i = 0; i < 4; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(4));
            Assert.NotNull(_cache.Get("k"));
        }

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(_cache.Get("k"));
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public void Refresh_slides_the_window_without_reading_and_ignores_absent_keys()
    {
        _cache.Set("k", [1, 2, 3], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });
        _time.Advance(TimeSpan.FromMinutes(4));
        _cache.Refresh("k");
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal([1, 2, 3], _cache.Get("k"));

        _cache.Refresh("absent");
        Assert.Null(_cache.Get("absent"));
    }

    [Fact]
    public void Without_reads_a_sliding_entry_expires_after_its_window()
    {
        _cache.Set("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(_cache.Get("k"));
    }

    [Fact]
    public void Sliding_never_extends_past_the_absolute_expiry()
    {
        _cache.Set("k", [1], new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(5),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(8),
        });
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.NotNull(_cache.Get("k"));
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Null(_cache.Get("k"));
    }

    [Fact]
    public void Refresh_of_an_expired_entry_removes_it()
    {
        _cache.Set("k", Value(2 * BlockBytes, 1), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(1) });
        _time.Advance(TimeSpan.FromSeconds(1));
        _cache.Refresh("k");
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public void Entries_without_expiry_live_until_evicted_or_removed()
    {
        _cache.Set("k", [9], new DistributedCacheEntryOptions());
        _time.Advance(TimeSpan.FromDays(3650));
        Assert.Equal([9], _cache.Get("k"));
    }

    [Fact]
    public void Expiry_is_measured_in_UTC_so_it_survives_a_new_cache_on_the_same_store()
    {
        _cache.Set("k", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        KvTieringDistributedCache other = NewCache(_store, _time);
        Assert.NotNull(other.Get("k"));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(other.Get("k"));
    }
}
