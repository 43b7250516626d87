using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class EvictionPoliciesTests
{
    [Fact]
    public void Names_list_every_policy_once_lru_first()
    {
        Assert.Equal(
            ["lru", "fifo", "lru-tail-first", "leaf-lru", "clock", "sieve", "s3fifo", "arc", "wtinylfu", "gdsf", "continuum", "ttl-pin", "tail-lru", "slru",
                "reuse-prob", "marconi", "agent", "belady"],
            EvictionPolicies.Names);
    }

    [Fact]
    public void FromName_finds_each_policy_by_its_own_name()
    {
        foreach (string name in EvictionPolicies.Names)
        {
            Assert.Equal(name, EvictionPolicies.FromName(name).Name);
        }
    }

    [Fact]
    public void FromName_ignores_case_and_surrounding_spaces()
    {
        Assert.Same(EvictionPolicies.S3Fifo, EvictionPolicies.FromName("S3FIFO"));
        Assert.Same(EvictionPolicies.WTinyLfu, EvictionPolicies.FromName(" WTinyLFU "));
        Assert.Same(EvictionPolicy.Lru, EvictionPolicies.FromName("LRU"));
    }

    [Fact]
    public void Properties_are_the_registered_policies()
    {
        Assert.Same(EvictionPolicies.Fifo, EvictionPolicies.FromName("fifo"));
        Assert.Same(EvictionPolicies.LruTailFirst, EvictionPolicies.FromName("lru-tail-first"));
        Assert.Same(EvictionPolicies.LeafLru, EvictionPolicies.FromName("leaf-lru"));
        Assert.Same(EvictionPolicies.Sieve, EvictionPolicies.FromName("sieve"));
        Assert.Same(EvictionPolicies.Arc, EvictionPolicies.FromName("arc"));
        Assert.Same(EvictionPolicies.Gdsf, EvictionPolicies.FromName("gdsf"));
        Assert.Same(EvictionPolicies.Belady, EvictionPolicies.FromName("belady"));
        Assert.Same(EvictionPolicy.Lru, EvictionPolicies.Lru);
    }

    [Fact]
    public void Unknown_name_throws_naming_it_and_the_valid_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => EvictionPolicies.FromName("clock-pro"));
        Assert.Equal("name", error.ParamName);
        Assert.Contains("'clock-pro'", error.Message, StringComparison.Ordinal);
        foreach (string name in EvictionPolicies.Names)
        {
            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Null_name_throws()
    {
        Assert.Throws<ArgumentNullException>(() => EvictionPolicies.FromName(null!));
    }
}
