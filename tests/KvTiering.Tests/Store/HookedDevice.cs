using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A test device (not a shipped one): managed-array slots in place (<see cref="IDirectSlotAccess"/>), with a hook that
/// runs once inside the next <see cref="Payload"/>: on a lock-free reader's own thread, so a change it makes lands
/// exactly between the reader's lookup and its copy.
/// </summary>
internal sealed class HookedDevice(int slots, int slotBytes) : IDirectSlotAccess
{
    private readonly byte[][] _bytes = [.. Enumerable.Range(0, slots).Select(_ => new byte[slotBytes])];
    private readonly int[] _lengths = new int[slots];
    private readonly BlockKey[] _keys = new BlockKey[slots];

    public Action? BeforePayload { get; set; }

    public int SlotCount => slots;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public int SlotOf(BlockKey key) => Array.IndexOf(_keys, key);

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(_bytes[slot]);
        _lengths[slot] = payload.Length;
        _keys[slot] = key;
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        _bytes[slot].AsSpan(0, _lengths[slot]).CopyTo(destination);
        return _lengths[slot];
    }

    public int PayloadLength(int slot) => _lengths[slot];

    public void Free(int slot)
    {
        _lengths[slot] = 0;
        _keys[slot] = default;
    }

    public ReadOnlySpan<byte> Payload(int slot)
    {
        Action? hook = BeforePayload;
        BeforePayload = null;
        hook?.Invoke();
        return _bytes[slot].AsSpan(0, _lengths[slot]);
    }

    public void Dispose()
    {
    }
}
