using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>
/// A device that keeps no bytes: the store makes every decision it would make with payloads, so the simulation
/// harness measures exactly what the store does, at metadata speed.
/// </summary>
public sealed class MetadataDevice : IBlockDevice
{
    /// <summary>Creates a device of <paramref name="slotCount"/> slots.</summary>
    public MetadataDevice(int slotCount)
    {
        if (slotCount <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotCount), slotCount, $"Slot count {slotCount} must be at least one.");
        }

        SlotCount = slotCount;
    }

    /// <inheritdoc />
    public int SlotCount { get; }

    /// <inheritdoc />
    public int SlotBytes => 0;

    /// <inheritdoc />
    public bool StoresPayload => false;

    /// <inheritdoc />
    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
    }

    /// <inheritdoc />
    public int Read(int slot, in BlockKey key, Span<byte> destination) => 0;

    /// <inheritdoc />
    public int PayloadLength(int slot) => 0;

    /// <inheritdoc />
    public void Free(int slot)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
