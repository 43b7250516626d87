using System.IO.Hashing;
using System.Runtime.CompilerServices;
using K4os.Compression.LZ4;
using KvTiering.Blocks;
using KvTiering.Security;

namespace KvTiering.Devices;

/// <summary>
/// The checks on bytes read back from flash, the counterpart of <see cref="FlashBlockEncoder"/>: a read's payload
/// against the checksum recorded for its slot (and, on an authenticated tier, the seal read with it), a recovered
/// header's trust, and a recovered block's payload against its header. A failed seal is counted.
/// </summary>
internal sealed class FlashBlockVerifier(int slotBytes, BlockAuthenticator? authenticator, FlashCounters counters)
{
    /// <summary>
    /// The checks after a read of <paramref name="read"/> bytes into <paramref name="io"/>: the payload into
    /// <paramref name="output"/> and its length, or -1 with <paramref name="output"/> cleared. Uncompressed, the
    /// checksum and the copy out are one pass; bytes that fail it are cleared, so the caller never keeps them.
    /// </summary>
    public int Verify(Span<byte> io, int read, int slot, in BlockKey key, int length, int storedLength, ulong checksum, Span<byte> output)
    {
        ReadOnlySpan<byte> stored = io.Slice(FlashGeometry.PayloadInSlot, storedLength);
        if (read != io.Length
            || (storedLength == length
                ? ChecksummedCopy.Copy(stored, output) != checksum
                : XxHash3.HashToUInt64(stored) != checksum)
            || (authenticator is not null && !IsAuthentic(io, slot, key, length, stored))
            || (storedLength != length && LZ4Codec.Decode(stored, output) != length))
        {
            output.Clear();
            return -1;
        }

        return length;
    }

    /// <summary>
    /// Why a read that failed <see cref="Verify"/> failed, from the bytes it read (<paramref name="read"/> of them in
    /// <paramref name="io"/>, the slot's header first). <see cref="ReadFailure.Lost"/> when the slot no longer holds the
    /// block: the file ended before the slot did (cut short behind the device's back), its header is all zeros (zeroed,
    /// or a hole whose pages were released: a hole punched, a sparse file's lost pages), or its header is a whole,
    /// trusted header of another key (the slot rewritten with another block). Anything else, a header that does not
    /// verify or the block's own header over bytes that do not match, is <see cref="ReadFailure.Corrupt"/>. Runs only
    /// after a miss.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public ReadFailure Diagnose(ReadOnlySpan<byte> io, int read, int slot, in BlockKey key)
    {
        if (read < FlashSlotHeader.Size || read != io.Length)
        {
            return ReadFailure.Lost;
        }

        if (!io[..FlashSlotHeader.Size].ContainsAnyExcept((byte)0))
        {
            return ReadFailure.Lost;
        }

        return FlashSlotHeader.TryRead(io, slot, slotBytes, out FlashSlotHeader header)
            && !header.Key.Equals(key)
            && IsTrusted(io, header)
            ? ReadFailure.Lost
            : ReadFailure.Corrupt;
    }

    /// <summary>Whether a header that verified may be trusted: on an authenticated tier, only with a seal of this key.</summary>
    public bool IsTrusted(ReadOnlySpan<byte> page, in FlashSlotHeader header) =>
        authenticator is null || (header.IsSealed && FlashSlotHeader.VerifyHeaderSeal(page, authenticator));

    /// <summary>
    /// Checks a recovered block read again whole (<paramref name="read"/> bytes into <paramref name="io"/>, sized by
    /// <see cref="FlashGeometry.IoBytes"/> for its stored length): the header must still be the one the scan found and
    /// the payload must match it.
    /// </summary>
    public FlashPayloadCheck CheckPayload(ReadOnlySpan<byte> io, int read, in FlashSlotHeader header)
    {
        ReadOnlySpan<byte> stored = io.Slice(FlashGeometry.PayloadInSlot, header.StoredLength);
        if (read != io.Length
            || !FlashSlotHeader.TryRead(io, header.Slot, slotBytes, out FlashSlotHeader again)
            || again.Generation != header.Generation
            || !again.Key.Equals(header.Key)
            || again.StoredLength != header.StoredLength
            || XxHash3.HashToUInt64(stored) != again.PayloadChecksum)
        {
            return FlashPayloadCheck.PayloadLost;
        }

        return authenticator is null || FlashSlotHeader.VerifySeal(io, stored, authenticator)
            ? FlashPayloadCheck.Intact
            : FlashPayloadCheck.Forged;
    }

    /// <summary>
    /// Whether the seal in the header read with a payload covers this key, this length and these stored bytes; a
    /// failure is counted. The header on flash is the one checked, so a slot rewritten behind the device's back since
    /// it was written does not pass on the strength of the record in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool IsAuthentic(ReadOnlySpan<byte> io, int slot, in BlockKey key, int length, ReadOnlySpan<byte> stored)
    {
        if (FlashSlotHeader.TryRead(io, slot, slotBytes, out FlashSlotHeader header)
            && header.IsSealed
            && header.Key.Equals(key)
            && header.RawLength == length
            && header.StoredLength == stored.Length
            && FlashSlotHeader.VerifySeal(io, stored, authenticator!))
        {
            return true;
        }

        counters.AuthenticationFailure();
        return false;
    }
}
