using KvTiering.Caching;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Extensions.Options;

namespace KvTiering.Extensions;

/// <summary>
/// Checks <see cref="KvTieringOptions"/> before a store is built, naming each bad value by its configuration path
/// (<c>KvTiering:MemoryBytes</c>) and saying what would be valid.
/// </summary>
internal sealed class KvTieringOptionsValidator : IValidateOptions<KvTieringOptions>
{
    private const int MaxBlocksPerTier = int.MaxValue / 4;

    public ValidateOptionsResult Validate(string? name, KvTieringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string section = KvTieringStoreFactory.SectionOf(name);
        var failures = new List<string>();
        long blockBytes = ValidateLayout(section, options, failures);
        ValidateName(failures, $"{section}:MemoryTier", options.MemoryTier, static n => TierProfiles.FromName(n));
        ValidatePolicy(failures, $"{section}:MemoryPolicy", options.MemoryPolicy);
        ValidatePolicy(failures, $"{section}:FlashPolicy", options.FlashPolicy);

        if (options.MemoryBytes < 0)
        {
            failures.Add($"{section}:MemoryBytes is {options.MemoryBytes}; it cannot be negative (0 means no memory tier).");
        }

        if (options.MemoryBytes == 0 && options.FlashDirectory is null)
        {
            failures.Add($"{section}:MemoryBytes is 0 and {section}:FlashDirectory is not set; a store needs at least one tier.");
        }

        if (blockBytes > 0)
        {
            if (options.MemoryBytes > 0)
            {
                ValidateCapacity(failures, $"{section}:MemoryBytes", options.MemoryBytes, blockBytes, zeroHint: " (or 0 for no memory tier)");
            }

            if (options.FlashDirectory is not null)
            {
                ValidateCapacity(failures, $"{section}:FlashBytes", options.FlashBytes, blockBytes, zeroHint: string.Empty);
            }
        }

        if (options.FlashDirectory is { } directory)
        {
            ValidateDirectory(failures, $"{section}:FlashDirectory", directory);
        }

        if (!Enum.IsDefined(options.Promotion))
        {
            failures.Add($"{section}:Promotion is {options.Promotion}; valid values: {string.Join(", ", Enum.GetNames<PromotionMode>())}.");
        }

        if (options.InstanceName is null)
        {
            failures.Add($"{section}:InstanceName is null; use an empty string for no namespace.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The block size the options give, or 0 when they give none that works (the failure is recorded).</summary>
    private static long ValidateLayout(string section, KvTieringOptions options, List<string> failures)
    {
        long blockBytes;
        if (options.Model is { } model)
        {
            if (options.TokensPerBlock < 1)
            {
                failures.Add($"{section}:TokensPerBlock is {options.TokensPerBlock}; it must be at least 1.");
                return 0;
            }

            try
            {
                blockBytes = Blocks.ModelPresets.FromName(model).Layout(options.TokensPerBlock).BytesPerBlock;
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{section}:Model: {ExceptionMessages.Clean(ex)}");
                return 0;
            }
        }
        else
        {
            blockBytes = options.BlockBytes;
            if (blockBytes % 2 != 0)
            {
                failures.Add($"{section}:BlockBytes is {blockBytes}; it must be an even number of bytes.");
                return 0;
            }
        }

        if (blockBytes < KvTieringDistributedCache.MinBlockBytes)
        {
            failures.Add($"{section}:BlockBytes is {blockBytes}; blocks must hold at least {KvTieringDistributedCache.MinBlockBytes} bytes " +
                "(a distributed-cache manifest and its key).");
            return 0;
        }

        return blockBytes;
    }

    private static void ValidateCapacity(List<string> failures, string path, long bytes, long blockBytes, string zeroHint)
    {
        if (bytes < blockBytes)
        {
            failures.Add($"{path} is {bytes}; it holds no block of {blockBytes} bytes: set at least {blockBytes}{zeroHint}.");
        }
        else if (bytes / blockBytes > MaxBlocksPerTier)
        {
            failures.Add($"{path} is {bytes}: {bytes / blockBytes} blocks of {blockBytes} bytes; a tier holds at most {MaxBlocksPerTier} blocks.");
        }
    }

    private static void ValidatePolicy(List<string> failures, string path, string? name)
    {
        if (name is null)
        {
            failures.Add($"{path} is not set.");
            return;
        }

        if (string.Equals(name.Trim(), EvictionPolicies.Belady.Name, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{path} is '{name}': Belady needs the future and runs only in trace replay; choose another policy.");
            return;
        }

        try
        {
            EvictionPolicies.FromName(name);
        }
        catch (ArgumentException)
        {
            // FromName's own list includes belady, which a store cannot run: list only the policies this setting takes.
            IEnumerable<string> valid = EvictionPolicies.AllNames.Where(
                static n => !string.Equals(n, EvictionPolicies.Belady.Name, StringComparison.Ordinal));
            failures.Add($"{path}: Unknown eviction policy '{name}'. Valid policies: {string.Join(", ", valid)}.");
        }
    }

    private static void ValidateName(List<string> failures, string path, string? name, Action<string> parse)
    {
        if (name is null)
        {
            failures.Add($"{path} is not set.");
            return;
        }

        try
        {
            parse(name);
        }
        catch (ArgumentException ex)
        {
            failures.Add($"{path}: {ExceptionMessages.Clean(ex)}");
        }
    }

    private static void ValidateDirectory(List<string> failures, string path, string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            failures.Add($"{path} is empty; give a directory path or leave it unset for no flash tier.");
            return;
        }

        string full;
        try
        {
            full = Path.GetFullPath(directory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            failures.Add($"{path} '{directory}' is not a valid path: {ex.Message}");
            return;
        }

        if (File.Exists(full))
        {
            failures.Add($"{path} '{full}' is a file, not a directory.");
        }
        else if (!Directory.Exists(full) && Path.GetDirectoryName(full) is { } parent && !Directory.Exists(parent))
        {
            failures.Add($"{path} '{full}' cannot be created: its parent directory '{parent}' does not exist.");
        }
    }
}
