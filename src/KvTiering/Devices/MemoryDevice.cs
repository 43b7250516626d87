using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>
/// Blocks in host memory: fixed-size slots carved from a few large native slabs, so a resident block costs the GC
/// nothing. Used for the SRAM, HBM and DRAM tiers, whose time and energy are modeled from their profiles.
/// </summary>
public sealed unsafe class MemoryDevice : IDirectSlotAccess
{
    // Slabs of at most 256 MiB keep any single allocation modest while amortizing it over many slots.
    private const long MaxSlabBytes = 256L * 1024 * 1024;

    private readonly byte*[] _slabs;
    private readonly int[] _lengths;
    private readonly int _slotsPerSlab;
    private readonly int _slotStride;
    private int _disposed;

    /// <summary>Allocates <paramref name="slotCount"/> slots of <paramref name="slotBytes"/> bytes.</summary>
    public MemoryDevice(int slotCount, int slotBytes)
    {
        if (slotCount <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotCount), slotCount, $"Slot count {slotCount} must be at least one.");
        }

        if (slotBytes <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotBytes), slotBytes, $"Slot size {slotBytes} must be at least one byte.");
        }

        SlotCount = slotCount;
        SlotBytes = slotBytes;
        _slotStride = (int)Math.Min(int.MaxValue, ((long)slotBytes + 63) & ~63L);
        _slotsPerSlab = (int)Math.Max(1, Math.Min(slotCount, MaxSlabBytes / _slotStride));
        int slabCount = (slotCount + _slotsPerSlab - 1) / _slotsPerSlab;
        _slabs = new byte*[slabCount];
        _lengths = new int[slotCount];
        try
        {
            for (int i = 0; i < slabCount; i++)
            {
                int slots = Math.Min(_slotsPerSlab, slotCount - (i * _slotsPerSlab));
                _slabs[i] = HugePages.Allocate((nuint)((long)slots * _slotStride));
            }
        }
        catch
        {
            FreeSlabs();
            throw;
        }
    }

    /// <inheritdoc />
    public int SlotCount { get; }

    /// <inheritdoc />
    public int SlotBytes { get; }

    /// <inheritdoc />
    public bool StoresPayload => true;

    /// <summary>Native bytes held by this device.</summary>
    public long AllocatedBytes => (long)SlotCount * _slotStride;

    /// <inheritdoc />
    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        if ((uint)payload.Length > (uint)SlotBytes)
        {
            ThrowHelper.ThrowPayloadLength(nameof(payload), payload.Length, SlotBytes);
        }

        payload.CopyTo(SlotSpan(slot));
        _lengths[slot] = payload.Length;
    }

    /// <inheritdoc />
    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        int length = _lengths[slot];
        SlotSpan(slot)[..length].CopyTo(destination);
        return length;
    }

    /// <inheritdoc />
    public int PayloadLength(int slot) => _lengths[slot];

    /// <inheritdoc />
    public void Free(int slot) => _lengths[slot] = 0;

    /// <summary>The full slot, for copies between devices without a bounce buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Span<byte> SlotSpan(int slot)
    {
        if (_disposed != 0)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }

        if ((uint)slot >= (uint)SlotCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slot), slot, $"Slot {slot} is outside 0..{SlotCount - 1}.");
        }

        int slab = slot / _slotsPerSlab;
        int index = slot - (slab * _slotsPerSlab);
        return new Span<byte>(_slabs[slab] + ((long)index * _slotStride), SlotBytes);
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> Payload(int slot) => SlotSpan(slot)[.._lengths[slot]];

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            FreeSlabs();
        }
    }

    private void FreeSlabs()
    {
        for (int i = 0; i < _slabs.Length; i++)
        {
            if (_slabs[i] != null)
            {
                NativeMemory.AlignedFree(_slabs[i]);
                _slabs[i] = null;
            }
        }
    }
}
