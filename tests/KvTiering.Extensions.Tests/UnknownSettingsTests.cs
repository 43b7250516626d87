using KvTiering.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvTiering.Extensions.Tests;

/// <summary>
/// A key under <c>KvTiering:</c> that is no setting stops the start, named, with the setting it is closest to; the
/// sections that legitimately live there (keyed stores, the agent server's <c>KvEvents</c>) still bind.
/// </summary>
public sealed class UnknownSettingsTests
{
    [Fact]
    public void A_misspelt_setting_fails_at_start_naming_the_key_and_the_setting_meant()
    {
        using ServiceProvider provider = Provider(new() { ["KvTiering:MemoryByte"] = "1048576" }, s => s.AddKvTiering());

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("KvTiering:MemoryByte is not a setting (did you mean 'MemoryBytes'?); the KvTiering settings are Model, ",
            atStart.Message, StringComparison.Ordinal);
        Assert.Contains(", FlashDirectory, ", atStart.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<TieredKvStore>());
    }

    [Fact]
    public void Every_misspelling_is_reported_at_once_beside_the_other_failures()
    {
        using ServiceProvider provider = Provider(new()
        {
            ["KvTiering:FlashDirectry"] = "/var/kv",
            ["KvTiering:MemoryPolicy"] = "random",
            ["KvTiering:Promtion"] = "Never",
        }, s => s.AddKvTiering());

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("KvTiering:FlashDirectry is not a setting (did you mean 'FlashDirectory'?)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("KvTiering:Promtion is not a setting (did you mean 'Promotion'?)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("KvTiering:MemoryPolicy: Unknown eviction policy 'random'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keyed_store_and_component_sections_under_KvTiering_still_bind()
    {
        using ServiceProvider provider = Provider(new()
        {
            ["KvTiering:memorybytes"] = "1048576",            // keys are case-insensitive, as the binder reads them
            ["KvTiering:tenant-a:MemoryBytes"] = "262144",
            ["KvTiering:KvEvents:Endpoint"] = "tcp://*:5557", // the agent server's section: no store setting in it
            ["KvTiering:KvEvents:Topic"] = "kv",
        }, s => s.AddKvTiering().AddKeyedKvTiering("tenant-a"));

        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(64, provider.GetRequiredService<TieredKvStore>().GetStatistics().Tiers[0].CapacityBlocks);
        Assert.Equal(16, provider.GetRequiredKeyedService<TieredKvStore>("tenant-a").GetStatistics().Tiers[0].CapacityBlocks);
    }

    [Fact]
    public void A_misspelling_inside_a_keyed_stores_section_is_named_by_its_path()
    {
        using ServiceProvider provider = Provider(new() { ["KvTiering:tenant-a:FlashByte"] = "1" },
            s => s.AddKvTiering().AddKeyedKvTiering("tenant-a"));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("KvTiering:tenant-a:FlashByte is not a setting (did you mean 'FlashBytes'?); the KvTiering:tenant-a settings are",
            ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_store_name_whose_section_holds_store_settings_fails()
    {
        using ServiceProvider provider = Provider(new() { ["KvTiering:tenent-a:MemoryBytes"] = "262144" },
            s => s.AddKvTiering().AddKeyedKvTiering("tenant-a"));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("KvTiering:tenent-a holds store settings (MemoryBytes) but no store is registered under 'tenent-a' " +
            "(did you mean 'tenant-a'?)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_option_is_a_setting_the_check_accepts()
    {
        Dictionary<string, string?> all = typeof(KvTieringOptions).GetProperties()
            .Where(p => p.CanWrite).ToDictionary(p => $"KvTiering:{p.Name}", _ => (string?)"x");
        using ServiceProvider provider = Provider(all, s => s.AddKvTiering());

        var validator = new KvTieringUnknownSettingsValidator(provider, []);
        Assert.True(validator.Validate(null, new KvTieringOptions()).Succeeded);
        Assert.Equal(all.Count, KvTieringUnknownSettingsValidator.SettingNames.Length);
    }

    [Fact]
    public void Without_configuration_there_is_nothing_to_check()
    {
        using ServiceProvider provider = new ServiceCollection().AddKvTiering().BuildServiceProvider();
        Assert.True(new KvTieringUnknownSettingsValidator(provider, []).Validate(null, new KvTieringOptions()).Skipped);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings, Action<IServiceCollection> register)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton(configuration);
        register(services);
        return services.BuildServiceProvider();
    }
}
