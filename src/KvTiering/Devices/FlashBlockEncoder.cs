using System.IO.Hashing;
using K4os.Compression.LZ4;
using KvTiering.Blocks;
using KvTiering.Security;

namespace KvTiering.Devices;

/// <summary>
/// Lays a flash block out in an aligned I/O buffer: its header (key, parent, lengths, write generation, payload
/// checksum, optional seal), its payload or the payload's LZ4 form, and zero padding to the I/O's length. Owns the
/// tier's write generation counter, which recovery raises past every generation found on flash.
/// </summary>
internal sealed class FlashBlockEncoder(bool compression, BlockAuthenticator? authenticator)
{
    private long _lastGeneration;

    /// <summary>Raises the generation counter to at least <paramref name="generation"/> (after recovery).</summary>
    public void AtLeast(ulong generation) => _lastGeneration = Math.Max(_lastGeneration, (long)generation);

    /// <summary>
    /// Lays the block out in <paramref name="io"/>; returns the I/O's length. Uncompressed, the copy into the buffer and
    /// the checksum are one pass over the payload.
    /// </summary>
    public int Encode(Span<byte> io, int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload,
        out int storedLength, out ulong checksum)
    {
        Span<byte> area = io[FlashGeometry.PayloadInSlot..];
        storedLength = payload.Length;
        bool compressed = false;
        if (compression && payload.Length > 16)
        {
            // A target one byte short of the input makes the encoder give up as soon as the block cannot shrink.
            int encoded = LZ4Codec.Encode(payload, area[..(payload.Length - 1)], LZ4Level.L00_FAST);
            if (encoded > 0)
            {
                storedLength = encoded;
                compressed = true;
            }
        }

        checksum = compressed
            ? XxHash3.HashToUInt64(area[..storedLength])
            : ChecksummedCopy.Copy(payload, area);
        ulong generation = (ulong)Interlocked.Increment(ref _lastGeneration);
        new FlashSlotHeader(slot, key, parent, payload.Length, storedLength, compressed, generation, checksum,
            authenticator is not null).WriteTo(io, authenticator, area[..storedLength]);
        int ioBytes = FlashGeometry.IoBytes(storedLength);
        io[(FlashGeometry.PayloadInSlot + storedLength)..ioBytes].Clear();
        return ioBytes;
    }
}
