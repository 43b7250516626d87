using KvTiering.Devices;
using Microsoft.Extensions.Logging;

namespace KvTiering.Store;

/// <summary>The device behind each tier: the caller's factory's, or the built-in one its options describe.</summary>
internal static class TierDevices
{
    /// <summary>
    /// Opens every tier's device and builds its tier; returns the tiers and, in <paramref name="entries"/>, the slots
    /// they hold in all plus one (the block table's size). On a failure every device opened so far is released.
    /// </summary>
    /// <exception cref="ArgumentException">A device has the wrong shape, or the tiers hold too many blocks for one store.</exception>
    public static Tier[] OpenTiers(KvStoreOptions options, int blockBytes, ILogger logger, out int entries)
    {
        var tiers = new Tier[options.Tiers.Count];
        long total = 1;
        try
        {
            for (int i = 0; i < tiers.Length; i++)
            {
                TierOptions tierOptions = options.Tiers[i];
                IBlockDevice device = Create(tierOptions, options.MetadataOnly, blockBytes, logger);
                tiers[i] = tierOptions.Policy.CreateTier(i, tierOptions.Profile, device);
                total += device.SlotCount;
            }
        }
        catch
        {
            DisposeAll(tiers);
            throw;
        }

        if (total > int.MaxValue / 2)
        {
            DisposeAll(tiers);
            throw new ArgumentException($"The tiers hold {total} blocks in all; a store holds at most {int.MaxValue / 2}.", nameof(options));
        }

        entries = (int)total;
        return tiers;
    }

    /// <summary>Releases every device opened so far (native slabs, flash file handles).</summary>
    public static void DisposeAll(Tier?[] tiers)
    {
        foreach (Tier? tier in tiers)
        {
            tier?.Device.Dispose();
        }
    }

    /// <summary>Opens the device for <paramref name="options"/> (a flash device recovers nothing yet: the store asks it to).</summary>
    /// <exception cref="ArgumentException">A factory's device has the wrong shape; the message names the tier.</exception>
    public static IBlockDevice Create(TierOptions options, bool metadataOnly, int blockBytes, ILogger logger)
    {
        if (options.DeviceFactory is { } factory)
        {
            IBlockDevice device = factory(options.CapacityBlocks, blockBytes);
            if (device.SlotCount != options.CapacityBlocks || (!metadataOnly && device.SlotBytes < blockBytes))
            {
                device.Dispose();
                throw new ArgumentException(
                    $"Tier '{options.Profile.Name}' device has {device.SlotCount} slots of {device.SlotBytes} bytes; " +
                    $"the tier needs {options.CapacityBlocks} slots of {blockBytes} bytes.", nameof(options));
            }

            if (device is IConcurrentReads { ReadWindow: < 1 or > Prefetcher.MaxWindow } concurrent)
            {
                int window = concurrent.ReadWindow;
                device.Dispose();
                throw new ArgumentOutOfRangeException(nameof(options), window,
                    $"Tier '{options.Profile.Name}' device's ReadWindow {window} must be 1 to {Prefetcher.MaxWindow}.");
            }

            if (device is IConcurrentWrites { WriteWindow: < 1 or > Prefetcher.MaxWindow } writes)
            {
                int window = writes.WriteWindow;
                device.Dispose();
                throw new ArgumentOutOfRangeException(nameof(options), window,
                    $"Tier '{options.Profile.Name}' device's WriteWindow {window} must be 1 to {Prefetcher.MaxWindow}.");
            }

            return device;
        }

        if (metadataOnly)
        {
            return new MetadataDevice(options.CapacityBlocks);
        }

        if (options.Directory is { } directory)
        {
            return new FlashDevice(directory, options.CapacityBlocks, blockBytes, new FlashDeviceOptions
            {
                Compression = options.Compression,
                DirectIO = options.DirectIO,
                QueueDepth = options.QueueDepth,
                Logger = logger,
                CorruptFile = options.FlashCorruptFile,
                RecoveryVerificationBudget = options.FlashRecoveryVerificationBudget,
                AuthenticationKey = options.AuthenticationKey,
            });
        }

        return new MemoryDevice(options.CapacityBlocks, blockBytes);
    }
}
