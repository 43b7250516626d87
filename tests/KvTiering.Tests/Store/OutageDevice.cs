using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A remote-like tier written for the unreachable-read tests (not a shipped device): its blocks live in memory, and
/// while <see cref="Down"/> is set every read misses and says the device could not be reached
/// (<see cref="IReadFailureReporting"/>), as the Redis tier does while its server times out or is backed off from.
/// </summary>
internal sealed class OutageDevice(int slotCount, int slotBytes) : IBlockDevice, IReadFailureReporting
{
    private readonly CheckedSlots _slots = new(slotCount);
    private readonly ReadFailure[] _causes = new ReadFailure[slotCount];
    private volatile bool _down;
    private int _reads;

    /// <summary>Whether the device is unreachable: every read misses with <see cref="ReadFailure.Unreachable"/>.</summary>
    public bool Down { get => _down; set => _down = value; }

    /// <summary>How many reads the store has asked of the device, answered or not.</summary>
    public int Reads => Volatile.Read(ref _reads);

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) => _slots.Store(slot, key, payload);

    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        Interlocked.Increment(ref _reads);
        if (_down)
        {
            _causes[slot] = ReadFailure.Unreachable;
            return -1;
        }

        int read = _slots.Read(slot, key, destination);
        if (read < 0)
        {
            _causes[slot] = ReadFailure.Lost;
        }

        return read;
    }

    public ReadFailure LastReadFailure(int slot) => _causes[slot];

    public int PayloadLength(int slot) => _slots.PayloadLength(slot);

    public void Free(int slot) => _slots.Free(slot);

    public void Dispose()
    {
    }
}
