using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Unicode;

namespace KvTiering.Transfer.Protocol;

/// <summary>
/// What the receiver sends back: a handshake reply (accepted, or refused with a reason) and, at the end, a receipt
/// with its counts. Both share one layout: magic "KVTR", version, type, fault code, three counts, a UTF-8 reason of
/// at most 1,024 bytes and a trailing checksum. This layout stays the same in every protocol version, so a sender
/// of any version can read why it was refused.
/// </summary>
internal readonly record struct ReceiverMessage(
    byte Type, TransferFault Fault, long BlocksReceived, long BlocksStored, long BlocksRejected, string? Reason)
{
    /// <summary>Message type of a handshake reply.</summary>
    public const byte Reply = 1;

    /// <summary>Message type of a receipt.</summary>
    public const byte Receipt = 2;

    /// <summary>Fixed part before the reason.</summary>
    public const int HeaderBytes = 40;

    /// <summary>Longest reason on the wire; longer ones are cut at a character boundary.</summary>
    public const int MaxReasonBytes = 1024;

    /// <summary>The longest message.</summary>
    public const int MaxBytes = HeaderBytes + MaxReasonBytes + WireFormat.ChecksumBytes;

    /// <summary>"KVTR": KV Transfer, Receiver.</summary>
    public static ReadOnlySpan<byte> Magic => "KVTR"u8;

    /// <summary>Writes the message into <paramref name="destination"/> (at least <see cref="MaxBytes"/>) and returns its length.</summary>
    public int WriteTo(Span<byte> destination)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], WireFormat.Version);
        destination[6] = Type;
        destination[7] = (byte)Fault;
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], BlocksReceived);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], BlocksStored);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], BlocksRejected);
        int reasonBytes = 0;
        if (!string.IsNullOrEmpty(Reason))
        {
            // DestinationTooSmall still writes every whole character that fits: the cut never splits one.
            Utf8.FromUtf16(Reason, destination.Slice(HeaderBytes, MaxReasonBytes), out _, out reasonBytes);
        }

        BinaryPrimitives.WriteInt32LittleEndian(destination[32..], reasonBytes);
        BinaryPrimitives.WriteInt32LittleEndian(destination[36..], 0);
        int covered = HeaderBytes + reasonBytes;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[covered..], XxHash3.HashToUInt64(destination[..covered]));
        return covered + WireFormat.ChecksumBytes;
    }

    /// <summary>
    /// Checks the 40-byte header: returns the message's total length, or -1 when it is not a receiver message
    /// (<paramref name="fault"/> and <paramref name="error"/> say why).
    /// </summary>
    public static int MessageLength(ReadOnlySpan<byte> header, out TransferFault fault, out string? error)
    {
        if (!header[..4].SequenceEqual(Magic))
        {
            fault = TransferFault.BadMagic;
            error = $"the receiver answered with bad magic 0x{Convert.ToHexString(header[..4])} instead of \"KVTR\"";
            return -1;
        }

        int reasonBytes = BinaryPrimitives.ReadInt32LittleEndian(header[32..]);
        if ((uint)reasonBytes > MaxReasonBytes || (header[6] != Reply && header[6] != Receipt))
        {
            fault = TransferFault.InvalidFrame;
            error = $"the receiver's message is malformed (type {header[6]}, reason length {reasonBytes})";
            return -1;
        }

        fault = TransferFault.None;
        error = null;
        return HeaderBytes + reasonBytes + WireFormat.ChecksumBytes;
    }

    /// <summary>Reads a whole message of the length <see cref="MessageLength"/> gave; false when its checksum fails.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ReceiverMessage message)
    {
        int reasonBytes = BinaryPrimitives.ReadInt32LittleEndian(source[32..]);
        int covered = HeaderBytes + reasonBytes;
        string? reason = reasonBytes == 0 ? null : Encoding.UTF8.GetString(source.Slice(HeaderBytes, reasonBytes));
        message = new ReceiverMessage(source[6], (TransferFault)source[7],
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            reason);
        return XxHash3.HashToUInt64(source[..covered]) == BinaryPrimitives.ReadUInt64LittleEndian(source[covered..]);
    }
}
