using System.Text;
using KvTiering.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvTiering.Fuzz;

/// <summary>
/// Configuration binding: the input's <c>key=value</c> lines become the host's configuration, and resolving the store
/// either works or fails with an error that names the <c>KvTiering:</c> setting at fault. Memory and flash sizes are
/// capped at 64 MiB and the flash directory kept in a scratch folder, so the fuzz cannot take the machine's memory or
/// disk (the same harness as tests/KvTiering.Extensions.Tests/ConfigurationFuzzTests.cs).
/// </summary>
internal static class ConfigurationHarness
{
    private const long MaxBytes = 64L << 20;

    public static void Run(byte[] input)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in Encoding.UTF8.GetString(input).Split('\n'))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                settings[line[..eq]] = line[(eq + 1)..];
            }
        }

        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        string flash = Harnesses.Scratch("config-flash");
        using ServiceProvider provider = new ServiceCollection()
            .AddSingleton(configuration)
            .AddKvTiering(o =>
            {
                o.FlashDirectory = o.FlashDirectory is null ? null : flash;
                o.MemoryBytes = Math.Min(o.MemoryBytes, MaxBytes);
                o.FlashBytes = Math.Min(o.FlashBytes, MaxBytes);
            })
            .BuildServiceProvider();
        try
        {
            TieredKvStore store = provider.GetRequiredService<TieredKvStore>();
            if (store.TierCount <= 0)
            {
                throw new InvalidOperationException("a store without tiers");
            }
        }
        catch (OptionsValidationException ex) when (ex.Message.Contains("KvTiering:", StringComparison.Ordinal))
        {
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("'KvTiering:", StringComparison.Ordinal))
        {
            // The binder's own error: "Failed to convert configuration value at 'KvTiering:MemoryBytes' to type …".
        }
    }

    public static IReadOnlyDictionary<string, byte[]> Seeds() => new Dictionary<string, byte[]>
    {
        ["memory"] = "KvTiering:MemoryBytes=1048576\nKvTiering:MemoryPolicy=lru\nKvTiering:BlockBytes=16384"u8.ToArray(),
        ["model"] = "KvTiering:Model=llama-3.1-8b\nKvTiering:TokensPerBlock=16\nKvTiering:MemoryTier=hbm3\nKvTiering:MemoryBytes=33554432"u8.ToArray(),
        ["flash"] = "KvTiering:FlashDirectory=x\nKvTiering:FlashBytes=4194304\nKvTiering:FlashPolicy=agent\nKvTiering:FlashCompression=true\nKvTiering:MemoryBytes=0"u8.ToArray(),
        ["promotion"] = "KvTiering:Promotion=Never\nKvTiering:FlushOnDispose=false\nKvTiering:InstanceName=a\nKvTiering:MemoryPolicy=s3fifo"u8.ToArray(),
        ["bad"] = "KvTiering:BlockBytes=1001\nKvTiering:MemoryBytes=-1\nKvTiering:MemoryTier=tape"u8.ToArray(),
    };
}
