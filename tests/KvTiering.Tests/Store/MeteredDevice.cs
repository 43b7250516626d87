using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A slow tier written for the write-behind room tests (not a shipped device): each Write waits for a permit the test
/// hands out one at a time (<see cref="Allow"/>), so the test decides exactly how many writes land and in what steps;
/// it checks the store's device contract as <see cref="GatedDevice"/> does.
/// </summary>
internal sealed class MeteredDevice(int slotCount, int slotBytes) : IBlockDevice
{
    private readonly CheckedSlots _slots = new(slotCount);
    private readonly SemaphoreSlim _permits = new(0);
    private int _waiting;
    private int _writes;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    /// <summary>Writes waiting for a permit right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Writes that landed.</summary>
    public int Writes => Volatile.Read(ref _writes);

    public IReadOnlyCollection<string> Violations => _slots.Violations;

    /// <summary>Lets <paramref name="writes"/> more writes land.</summary>
    public void Allow(int writes) => _permits.Release(writes);

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        _slots.Enter(slot, "Write");
        try
        {
            Interlocked.Increment(ref _waiting);
            bool allowed = _permits.Wait(TimeSpan.FromSeconds(10));
            Interlocked.Decrement(ref _waiting);
            if (!allowed)
            {
                throw new IOException("no permit in 10 s: the test never allowed this write");
            }

            _slots.Store(slot, key, payload);
            Interlocked.Increment(ref _writes);
        }
        finally
        {
            _slots.Exit(slot);
        }
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination) => _slots.Read(slot, key, destination);

    public int PayloadLength(int slot) => _slots.PayloadLength(slot);

    public void Free(int slot) => _slots.Free(slot);

    public void Dispose() => _permits.Dispose();
}
