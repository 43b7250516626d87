using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KvTiering.Fuzzing;

/// <summary>
/// The configuration-binding fuzz input, shared by the in-process harness (tests/KvTiering.Extensions.Tests) and the AFL
/// target (tests/KvTiering.Fuzz): the input's <c>key=value</c> lines become the host's configuration and
/// <c>AddKvTiering</c> binds them. Memory and flash sizes are capped and the flash directory kept in a scratch folder,
/// so the fuzz cannot take the machine's memory or disk; every other value is the fuzzer's.
/// </summary>
internal static class FuzzedConfiguration
{
    /// <summary>The most memory or flash a fuzzed store may ask for.</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>A service provider whose configuration is <paramref name="input"/>; resolving the store binds it.</summary>
    public static ServiceProvider Build(byte[] input, string flashDirectory)
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
        return new ServiceCollection()
            .AddSingleton(configuration)
            .AddKvTiering(o =>
            {
                o.FlashDirectory = o.FlashDirectory is null ? null : flashDirectory;
                o.MemoryBytes = Math.Min(o.MemoryBytes, MaxBytes);
                o.FlashBytes = Math.Min(o.FlashBytes, MaxBytes);
            })
            .BuildServiceProvider();
    }
}
