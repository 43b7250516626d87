using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A test device over memory slots whose reads of a chosen block miss with a chosen cause
/// (<see cref="IReadFailureReporting"/>), as flash (corrupt, lost) and the Redis tier (lost, unreachable) report them.
/// With <paramref name="awaitable"/>, it also declares <see cref="IAsyncBlockDevice"/>, so the store awaits its reads
/// outside the lock (<c>AsyncReader</c>, and a batch's reads in flight).
/// </summary>
internal class CauseDevice(int slotCount, int slotBytes) : IBlockDevice, IReadFailureReporting
{
    private readonly CheckedSlots _slots = new(slotCount);
    private readonly ReadFailure[] _causes = new ReadFailure[slotCount];
    private readonly ConcurrentDictionary<BlockKey, ReadFailure> _faults = new();

    /// <summary>Every later read of <paramref name="key"/> misses, the device saying <paramref name="cause"/>.</summary>
    public void Fail(BlockKey key, ReadFailure cause) => _faults[key] = cause;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) => _slots.Store(slot, key, payload);

    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        if (_faults.TryGetValue(key, out ReadFailure cause))
        {
            _causes[slot] = cause;
            return -1;
        }

        return _slots.Read(slot, key, destination);
    }

    public ReadFailure LastReadFailure(int slot) => _causes[slot];

    public int PayloadLength(int slot) => _slots.PayloadLength(slot);

    public void Free(int slot) => _slots.Free(slot);

    public void Dispose()
    {
    }
}
