namespace KvTiering.Devices;

/// <summary>
/// A device whose slots live in addressable memory (host DRAM, pinned or mapped memory): the store reads a slot's
/// bytes in place instead of copying them through <see cref="IBlockDevice.Read"/>. A device that declares it gets the
/// store's lock-free top-tier hits and copy-free moves, as <see cref="MemoryDevice"/> does.
/// </summary>
/// <remarks>
/// The store calls <see cref="Payload"/> without its lock, while another thread may be writing or freeing the same
/// slot: the bytes may then be torn, and the store throws them away (it validates every lock-free read against a
/// sequence counter its writers bump). So the call must never throw or fault for a slot in range, whatever is being
/// written meanwhile, and the span's length must never exceed <see cref="IBlockDevice.SlotBytes"/>.
/// </remarks>
public interface IDirectSlotAccess : IBlockDevice
{
    /// <summary>
    /// The payload stored in <paramref name="slot"/>, in place: <see cref="IBlockDevice.PayloadLength"/> bytes, valid
    /// until the slot is next written or freed, or the device disposed.
    /// </summary>
    ReadOnlySpan<byte> Payload(int slot);
}
