using KvTiering.Blocks;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

public sealed unsafe partial class FlashDevice
{
    /// <summary>Zeroes a slot's header, swallowing an I/O failure (the slot is then left stale).</summary>
    private void InvalidateHeader(int slot)
    {
        try
        {
            WriteAt(new ReadOnlySpan<byte>(_zeroPage, FlashGeometry.PageBytes), _geometry.SlotOffset(slot));
            _states[slot] = SlotEmpty;
        }
        catch (IOException)
        {
            _states[slot] = SlotStale;
        }

        _lengths[slot] = 0;
    }

    /// <summary>Records what a valid slot holds: what a read checks, without reading the header back.</summary>
    private void Remember(int slot, in BlockKey key, int rawLength, int storedLength, ulong checksum)
    {
        _keys[slot] = key;
        _checksums[slot] = checksum;
        _storedLengths[slot] = storedLength;
        _lengths[slot] = rawLength;
        _states[slot] = SlotValid;
    }

    private void WriteAt(ReadOnlySpan<byte> bytes, long offset)
    {
        if (FailWrite is { } fail && fail(offset, bytes.Length))
        {
            throw new IOException($"Injected write failure of {bytes.Length} bytes at offset {offset} in '{FilePath}'.");
        }

        RandomAccess.Write(_handle, bytes, offset);
    }

    private int ReadAt(Span<byte> buffer, long offset) => ReadFully(_handle, buffer, offset);

    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends; returns the bytes read.</summary>
    private static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (read <= 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
