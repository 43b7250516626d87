using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Tests.Tiers;

public sealed class TierProfilesTests
{
    [Theory]
    [InlineData("sram", "sram")]
    [InlineData("lpu-sram", "sram")]
    [InlineData("hbm3", "hbm3")]
    [InlineData("HBM3E", "hbm3e")]
    [InlineData("gddr7", "gddr7")]
    [InlineData("dram", "dram")]
    [InlineData("ddr5", "dram")]
    [InlineData(" flash ", "flash")]
    [InlineData("nvme", "flash")]
    public void FromName_resolves_names_and_aliases(string name, string expected)
    {
        Assert.Equal(expected, TierProfiles.FromName(name).Name);
    }

    [Fact]
    public void FromName_unknown_lists_valid_names()
    {
        var ex = Assert.Throws<ArgumentException>(() => TierProfiles.FromName("tape"));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("'tape'", ex.Message, StringComparison.Ordinal);
        foreach (TierProfile profile in TierProfiles.All)
        {
            Assert.Contains(profile.Name, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void All_has_each_preset_once_under_its_own_name()
    {
        Assert.Equal(6, TierProfiles.All.Count);
        Assert.All(TierProfiles.All, p => Assert.Same(p, TierProfiles.FromName(p.Name)));
        Assert.Equal(TierProfiles.All.Count, TierProfiles.All.Select(p => p.Name).Distinct().Count());
    }

    [Fact]
    public void Kinds_match_the_memory_class()
    {
        Assert.Equal(TierKind.Sram, TierProfiles.Sram.Kind);
        Assert.Equal(TierKind.Hbm, TierProfiles.Hbm3.Kind);
        Assert.Equal(TierKind.Hbm, TierProfiles.Hbm3e.Kind);
        Assert.Equal(TierKind.Gddr, TierProfiles.Gddr7.Kind);
        Assert.Equal(TierKind.Dram, TierProfiles.Dram.Kind);
        Assert.Equal(TierKind.Flash, TierProfiles.Flash.Kind);
    }

    [Fact]
    public void Datasheet_numbers_are_what_the_docs_cite()
    {
        Assert.Equal(80e12, TierProfiles.Sram.ReadBytesPerSecond);
        Assert.Equal(230_000_000, TierProfiles.Sram.CapacityBytes);
        Assert.Equal(3.35e12, TierProfiles.Hbm3.ReadBytesPerSecond);
        Assert.Equal(80_000_000_000, TierProfiles.Hbm3.CapacityBytes);
        Assert.Equal(4.8e12, TierProfiles.Hbm3e.ReadBytesPerSecond);
        Assert.Equal(141_000_000_000, TierProfiles.Hbm3e.CapacityBytes);
        Assert.Equal(1.792e12, TierProfiles.Gddr7.ReadBytesPerSecond);
        Assert.Equal(64e9, TierProfiles.Dram.ReadBytesPerSecond);
        Assert.Equal(64e9, TierProfiles.Dram.WriteBytesPerSecond);
        Assert.Equal(14e9, TierProfiles.Flash.ReadBytesPerSecond);
        Assert.Equal(10e9, TierProfiles.Flash.WriteBytesPerSecond);
        Assert.Equal(TimeSpan.FromMicroseconds(60), TierProfiles.Flash.AccessLatency);
    }

    [Fact]
    public void Energy_per_bit_arithmetic_matches_the_docs()
    {
        Assert.Equal(1.5625, TierProfiles.Sram.PicojoulesPerBit, 10);   // 100 pJ / 64 bit (Horowitz, 1 MB SRAM)
        Assert.Equal(3.97, TierProfiles.Hbm3.PicojoulesPerBit, 10);     // O'Connor et al. MICRO 2017
        Assert.Equal(5.0, TierProfiles.Gddr7.PicojoulesPerBit, 10);     // 7.5 pJ/bit ÷ 1.5
        Assert.Equal(20.3125, TierProfiles.Dram.PicojoulesPerBit, 10);  // 1.3 nJ / 64 bit (Horowitz)
        Assert.Equal(160.714, TierProfiles.Flash.PicojoulesPerBit, 3);  // 18 W ÷ (14 GB/s × 8)
    }

    [Fact]
    public void Tiers_order_by_bandwidth_and_energy()
    {
        TierProfile[] fastToSlow = [TierProfiles.Sram, TierProfiles.Hbm3e, TierProfiles.Hbm3, TierProfiles.Gddr7, TierProfiles.Dram, TierProfiles.Flash];
        for (int i = 1; i < fastToSlow.Length; i++)
        {
            Assert.True(fastToSlow[i - 1].ReadBytesPerSecond > fastToSlow[i].ReadBytesPerSecond, fastToSlow[i].Name);
            Assert.True(fastToSlow[i - 1].AccessLatency <= fastToSlow[i].AccessLatency, fastToSlow[i].Name);
        }

        Assert.True(TierProfiles.Sram.PicojoulesPerBit < TierProfiles.Hbm3.PicojoulesPerBit);
        Assert.True(TierProfiles.Hbm3.PicojoulesPerBit < TierProfiles.Dram.PicojoulesPerBit);
        Assert.True(TierProfiles.Dram.PicojoulesPerBit < TierProfiles.Flash.PicojoulesPerBit);
    }

    [Fact]
    public void Dram_block_read_time_is_bounded_by_the_host_link()
    {
        // One 16-token Llama-3.1-8B block, 2 MiB: 5 µs + 2,097,152 B ÷ 64 GB/s = 37.768 µs.
        Assert.Equal(37.768e-6, TierProfiles.Dram.ReadSeconds(2_097_152), 9);
        // 1 GB from flash: 60 µs + 1e9 ÷ 14e9 s.
        Assert.Equal(60e-6 + (1.0 / 14), TierProfiles.Flash.ReadSeconds(1_000_000_000), 12);
        Assert.Equal(1e9 * 8 * 160.714e-12, TierProfiles.Flash.Joules(1_000_000_000), 3);
    }
}
