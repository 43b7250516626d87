using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A slow tier written for the write-behind tests (not a shipped device): each Write blocks until the test opens the
/// gate (and each Free, at a second gate), and the device checks the store's contract (never a Write concurrently with another call on the same slot,
/// never a Free while I/O on the slot is in flight).
/// </summary>
internal sealed class GatedDevice(int slotCount, int slotBytes) : IBlockDevice
{
    private readonly CheckedSlots _slots = new(slotCount);
    private readonly ManualResetEventSlim _gate = new(true);
    private readonly ManualResetEventSlim _freeGate = new(true);
    private int _writes;
    private int _waiting;
    private int _freesWaiting;
    private int _frees;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Writes held at the closed gate right now (a test waits for this state instead of sleeping).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Frees held at the closed free gate right now.</summary>
    public int FreesWaiting => Volatile.Read(ref _freesWaiting);

    public int Frees => Volatile.Read(ref _frees);

    public IReadOnlyCollection<string> Violations => _slots.Violations;

    /// <summary>Blocks every later Free until <see cref="OpenFrees"/> (as a flash free, a header write, waits for the disk).</summary>
    public void CloseFrees() => _freeGate.Reset();

    public void OpenFrees() => _freeGate.Set();

    /// <summary>Blocks every later Write until <see cref="Open"/>.</summary>
    public void Close() => _gate.Reset();

    public void Open() => _gate.Set();

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        _slots.Enter(slot, "Write");
        try
        {
            Interlocked.Increment(ref _waiting);
            _gate.Wait(TimeSpan.FromSeconds(10));
            Interlocked.Decrement(ref _waiting);
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

    public void Free(int slot)
    {
        Interlocked.Increment(ref _freesWaiting);
        _freeGate.Wait(TimeSpan.FromSeconds(10));
        Interlocked.Decrement(ref _freesWaiting);
        _slots.Free(slot);
        Interlocked.Increment(ref _frees);
    }

    public void Dispose()
    {
        _gate.Dispose();
        _freeGate.Dispose();
    }
}
