using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>A one-tier metadata store on a fake clock, for policies that read time or take hints.</summary>
internal sealed class TimedStore : IDisposable
{
    private readonly FakeTimeProvider _time = new();

    public TimedStore(EvictionPolicy policy, int capacity)
    {
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = _time };
        options.Tiers.Add(new TierOptions(Profile("hbm"), capacity) { Policy = policy });
        Store = new TieredKvStore(options);
    }

    public TieredKvStore Store { get; }

    public void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    public void Dispose() => Store.Dispose();
}
