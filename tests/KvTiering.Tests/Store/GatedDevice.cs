using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A slow tier written for the write-behind tests (not a shipped device): each Write blocks until the test opens the
/// gate, and the device checks the store's contract (never a Write concurrently with another call on the same slot,
/// never a Free while I/O on the slot is in flight).
/// </summary>
internal sealed class GatedDevice(int slotCount, int slotBytes) : IBlockDevice
{
    private readonly byte[][] _bytes = new byte[slotCount][];
    private readonly BlockKey[] _keys = new BlockKey[slotCount];
    private readonly int[] _busy = new int[slotCount];
    private readonly ManualResetEventSlim _gate = new(true);
    private readonly ConcurrentQueue<string> _violations = new();
    private int _writes;
    private int _waiting;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Writes held at the closed gate right now (a test waits for this state instead of sleeping).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>Blocks every later Write until <see cref="Open"/>.</summary>
    public void Close() => _gate.Reset();

    public void Open() => _gate.Set();

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        Enter(slot, "Write");
        try
        {
            Interlocked.Increment(ref _waiting);
            _gate.Wait(TimeSpan.FromSeconds(10));
            Interlocked.Decrement(ref _waiting);
            lock (_bytes)
            {
                _bytes[slot] = payload.ToArray();
                _keys[slot] = key;
            }

            Interlocked.Increment(ref _writes);
        }
        finally
        {
            Exit(slot);
        }
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        lock (_bytes)
        {
            if (_bytes[slot] is not { } bytes || !_keys[slot].Equals(key))
            {
                return -1;
            }

            bytes.CopyTo(destination);
            return bytes.Length;
        }
    }

    public int PayloadLength(int slot)
    {
        lock (_bytes)
        {
            return _bytes[slot]?.Length ?? 0;
        }
    }

    public void Free(int slot)
    {
        if (Volatile.Read(ref _busy[slot]) != 0)
        {
            _violations.Enqueue($"Free of slot {slot} during a write");
        }

        lock (_bytes)
        {
            _bytes[slot] = null!;
            _keys[slot] = BlockKey.Empty;
        }
    }

    public void Dispose() => _gate.Dispose();

    private void Enter(int slot, string what)
    {
        if (Interlocked.Increment(ref _busy[slot]) != 1)
        {
            _violations.Enqueue($"{what} of slot {slot} concurrent with another call on it");
        }
    }

    private void Exit(int slot) => Interlocked.Decrement(ref _busy[slot]);
}
