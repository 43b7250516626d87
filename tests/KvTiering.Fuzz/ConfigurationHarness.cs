using KvTiering.Fuzzing;
using KvTiering.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvTiering.Fuzz;

/// <summary>
/// Configuration binding: the input's <c>key=value</c> lines become the host's configuration, and resolving the store
/// either works or fails with an error that names the <c>KvTiering:</c> setting at fault. Memory and flash sizes are
/// capped at 64 MiB and the flash directory kept in a scratch folder, so the fuzz cannot take the machine's memory or
/// disk (the input is built by tests/Fuzzing/FuzzedConfiguration.cs, as in the in-process harness).
/// </summary>
internal static class ConfigurationHarness
{
    public static void Run(byte[] input)
    {
        using ServiceProvider provider = FuzzedConfiguration.Build(input, Harnesses.Scratch("config-flash"));
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
