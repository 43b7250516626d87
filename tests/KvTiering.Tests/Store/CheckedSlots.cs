using System.Collections.Concurrent;
using KvTiering.Blocks;

namespace KvTiering.Tests.Store;

/// <summary>
/// The slot storage the test-written devices share (<see cref="GatedDevice"/>, <see cref="AwaitableDevice"/>): bytes
/// and keys in managed arrays, and a record of every breach of the store's device contract (two calls on a slot at
/// once where one must be alone, a Free while I/O on the slot is in flight).
/// </summary>
internal sealed class CheckedSlots(int slotCount)
{
    private readonly byte[]?[] _bytes = new byte[slotCount][];
    private readonly BlockKey[] _keys = new BlockKey[slotCount];
    private readonly int[] _busy = new int[slotCount];
    private readonly ConcurrentQueue<string> _violations = new();

    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>Marks I/O on <paramref name="slot"/> in flight; an exclusive call that finds another records a breach.</summary>
    public void Enter(int slot, string what, bool exclusive = true)
    {
        if (Interlocked.Increment(ref _busy[slot]) != 1 && exclusive)
        {
            _violations.Enqueue($"{what} of slot {slot} concurrent with another call on it");
        }
    }

    public void Exit(int slot) => Interlocked.Decrement(ref _busy[slot]);

    public void Store(int slot, in BlockKey key, ReadOnlySpan<byte> payload)
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
        if (Volatile.Read(ref _busy[slot]) != 0)
        {
            _violations.Enqueue($"Free of slot {slot} during an I/O");
        }

        lock (_bytes)
        {
            _bytes[slot] = null;
            _keys[slot] = BlockKey.Empty;
        }
    }
}
