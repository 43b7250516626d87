using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>A device whose blocks survive a restart; the store rebuilds its index from <see cref="Recover"/>.</summary>
public interface IPersistentBlockDevice : IBlockDevice
{
    /// <summary>Every valid block found in the device, at most one per key (the newest generation wins).</summary>
    IReadOnlyList<RecoveredBlock> Recover();
}
