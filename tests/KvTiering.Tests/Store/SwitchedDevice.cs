using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A remote-like tier written for the availability tests (not a shipped device): the test takes it down and brings it
/// back (<see cref="Down"/>), it says so through <see cref="IWriteAvailability"/> as <c>RedisBlockDevice</c> does, and
/// a write that reaches it while down fails (the race the store's check cannot close), as a write to a dead server does.
/// </summary>
internal sealed class SwitchedDevice(int slotCount, int slotBytes) : IBlockDevice, IWriteAvailability
{
    private readonly CheckedSlots _slots = new(slotCount);
    private readonly ManualResetEventSlim _gate = new(true);
    private int _waiting;
    private volatile bool _down;
    private int _writes;
    private int _failedWrites;
    private int _checks;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    /// <summary>While true the device says it cannot take writes, and a write that comes anyway fails.</summary>
    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    public bool CanWriteNow
    {
        get
        {
            Interlocked.Increment(ref _checks);
            return !_down;
        }
    }

    /// <summary>How many times the store asked <see cref="CanWriteNow"/>.</summary>
    public int Checks => Volatile.Read(ref _checks);

    public int Writes => Volatile.Read(ref _writes);

    public int FailedWrites => Volatile.Read(ref _failedWrites);

    public IReadOnlyCollection<string> Violations => _slots.Violations;

    /// <summary>Writes held at the closed gate right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Holds every later write until <see cref="Open"/>: it then lands, or fails if the device is down by then.</summary>
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
            if (_down)
            {
                Interlocked.Increment(ref _failedWrites);
                throw new IOException("The switched test device is down; the block was not written.");
            }

            _slots.Store(slot, key, payload);
            Interlocked.Increment(ref _writes);
        }
        finally
        {
            _slots.Exit(slot);
        }
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination) => _down ? -1 : _slots.Read(slot, key, destination);

    public int PayloadLength(int slot) => _slots.PayloadLength(slot);

    public void Free(int slot) => _slots.Free(slot);

    public void Dispose() => _gate.Dispose();
}
