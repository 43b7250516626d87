using KvTiering.Devices;
using Microsoft.Extensions.Logging;

namespace KvTiering.Store;

/// <summary>The device behind each tier: the caller's factory's, or the built-in one its options describe.</summary>
internal static class TierDevices
{
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
                AuthenticationKey = options.AuthenticationKey,
            });
        }

        return new MemoryDevice(options.CapacityBlocks, blockBytes);
    }
}
