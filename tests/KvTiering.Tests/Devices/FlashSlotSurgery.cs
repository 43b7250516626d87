using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Devices;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Tests.Devices;

/// <summary>Edits a flash file behind the device's back, as lost writes or an attacker with write access would.</summary>
internal static class FlashSlotSurgery
{
    public static byte[] ReadHeader(string path, FlashGeometry geometry, int slot)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open);
        var header = new byte[FlashSlotHeader.Size];
        RandomAccess.Read(handle, header, geometry.SlotOffset(slot));
        return header;
    }

    /// <summary>Writes <paramref name="header"/> back with its checksum recomputed, so it verifies as a well-formed header.</summary>
    public static void WriteHeader(string path, FlashGeometry geometry, int slot, byte[] header)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(120), XxHash3.HashToUInt64(header.AsSpan(0, 120)));
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.Write(handle, header, geometry.SlotOffset(slot));
    }

    /// <summary>Rewrites the slot's header to name <paramref name="key"/>, checksum fixed: the forged block.</summary>
    public static void Rekey(string path, FlashGeometry geometry, int slot, BlockKey key)
    {
        byte[] header = ReadHeader(path, geometry, slot);
        key.WriteTo(header.AsSpan(32));
        WriteHeader(path, geometry, slot, header);
    }

    /// <summary>Zeroes <paramref name="length"/> payload bytes of a slot, leaving its header: a lost write.</summary>
    public static void ZeroPayload(string path, FlashGeometry geometry, int slot, int length)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.Write(handle, new byte[length], geometry.SlotOffset(slot) + FlashGeometry.PayloadInSlot);
    }

    /// <summary>Replaces a slot's payload with <paramref name="payload"/> and fixes the header's payload checksum.</summary>
    public static void ReplacePayload(string path, FlashGeometry geometry, int slot, byte[] payload)
    {
        using (SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(handle, payload, geometry.SlotOffset(slot) + FlashGeometry.PayloadInSlot);
        }

        byte[] header = ReadHeader(path, geometry, slot);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(64), XxHash3.HashToUInt64(payload));
        WriteHeader(path, geometry, slot, header);
    }
}
