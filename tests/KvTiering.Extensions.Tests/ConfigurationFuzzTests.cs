using System.Text;
using KvTiering.Fuzzing;
using KvTiering.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvTiering.Extensions.Tests;

/// <summary>
/// Configuration binding under the mutation fuzzer: mutated <c>key=value</c> lines become the host's configuration,
/// and resolving the store either works or fails with an error that names the <c>KvTiering:</c> setting at fault.
/// Never another exception, never a store built from a value that was not validated.
/// </summary>
public sealed class ConfigurationFuzzTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static readonly string[] Seeds =
    [
        "KvTiering:MemoryBytes=1048576\nKvTiering:MemoryPolicy=lru\nKvTiering:BlockBytes=16384",
        "KvTiering:Model=llama-3.1-8b\nKvTiering:TokensPerBlock=16\nKvTiering:MemoryTier=hbm3\nKvTiering:MemoryBytes=33554432",
        "KvTiering:FlashDirectory=x\nKvTiering:FlashBytes=4194304\nKvTiering:FlashPolicy=agent\nKvTiering:FlashCompression=true\nKvTiering:MemoryBytes=0",
        "KvTiering:Promotion=Never\nKvTiering:FlushOnDispose=false\nKvTiering:InstanceName=a\nKvTiering:MemoryPolicy=s3fifo",
        "KvTiering:BlockBytes=1001\nKvTiering:MemoryBytes=-1\nKvTiering:MemoryTier=tape",
    ];

    [Fact]
    public void Mutated_configuration_binds_to_a_store_or_fails_naming_the_setting() =>
        MutationFuzzer.Run("configuration", [.. Seeds.Select(Encoding.UTF8.GetBytes)], Harness, iterations: Math.Min(MutationFuzzer.Iterations, 2000));

    private void Harness(byte[] input)
    {
        string flash = _temp.Sub("flash");
        using ServiceProvider provider = FuzzedConfiguration.Build(input, flash);
        try
        {
            TieredKvStore store = provider.GetRequiredService<TieredKvStore>();
            Assert.True(store.TierCount > 0);
        }
        catch (OptionsValidationException ex)
        {
            Assert.Contains("KvTiering:", ex.Message, StringComparison.Ordinal);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("'KvTiering:", StringComparison.Ordinal))
        {
            // The binder's own error: "Failed to convert configuration value at 'KvTiering:MemoryBytes' to type …".
        }
        finally
        {
            if (Directory.Exists(flash))
            {
                Directory.Delete(flash, recursive: true);
            }
        }
    }

    public void Dispose() => _temp.Dispose();
}
