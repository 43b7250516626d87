using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.LLamaSharp.Tests;

/// <summary>
/// A remote-like tier written for the restore tests (not a shipped device): slots in managed arrays, each awaited read
/// a few milliseconds long, declaring <see cref="IConcurrentReads"/>; it counts the most reads in flight at once.
/// </summary>
internal sealed class DelayedConcurrentDevice(int slotCount, int slotBytes) : IConcurrentReads
{
    private readonly byte[]?[] _bytes = new byte[slotCount][];
    private readonly BlockKey[] _keys = new BlockKey[slotCount];
    private int _inFlight;
    private int _maxInFlight;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public int ReadWindow => 8;

    /// <summary>The most awaited reads ever in flight at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int now = Interlocked.Increment(ref _inFlight);
        for (int seen = MaxInFlight; now > seen; seen = MaxInFlight)
        {
            Interlocked.CompareExchange(ref _maxInFlight, now, seen);
        }

        try
        {
            await Task.Delay(5, cancellationToken);
            return Read(slot, key, destination.Span);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Write(slot, key, parent, payload.Span);
        return ValueTask.CompletedTask;
    }

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        lock (_bytes)
        {
            _bytes[slot] = payload.ToArray();
            _keys[slot] = key;
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
        lock (_bytes)
        {
            _bytes[slot] = null;
            _keys[slot] = BlockKey.Empty;
        }
    }

    public void Dispose()
    {
    }
}
