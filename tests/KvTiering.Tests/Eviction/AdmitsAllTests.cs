using KvTiering.Blocks;
using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class AdmitsAllTests
{
    /// <summary>The policies whose Admit the store skips (IAdmitsAll): they must admit every block, unattached too.</summary>
    [Fact]
    public void Every_policy_marked_as_admitting_all_admits_every_block()
    {
        Type[] marked = typeof(IAdmitsAll).Assembly.GetTypes()
            .Where(t => t.IsValueType && typeof(IAdmitsAll).IsAssignableFrom(t))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(["ClockPolicy", "FifoPolicy", "LruPolicy", "SievePolicy"], marked.Select(t => t.Name));
        var rng = new Random(3);
        foreach (Type type in marked)
        {
            var policy = (IEvictionPolicy)Activator.CreateInstance(type)!;
            for (int i = 0; i < 100; i++)
            {
                var block = new BlockInfo(new BlockKey((ulong)rng.NextInt64(), 1), BlockKey.Empty, rng.Next(-1, 8),
                    rng.Next(64), rng.NextInt64(), rng.Next(0, 1 << 20), rng.Next(2) == 0 ? long.MaxValue : rng.NextInt64(),
                    rng.Next(2) == 0);
                Assert.True(policy.Admit(block), $"{type.Name} declined a block although it is marked IAdmitsAll.");
            }
        }
    }
}
