using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using KvTiering.Blocks;

namespace KvTiering.Transfer.Protocol;

/// <summary>
/// The sender's 64-byte opening: magic "KVTS", version, length, the KV layout, the key namespace's root key and the
/// session id, sealed by a checksum. The receiver checks magic and version before anything else, so a later
/// version may change everything after the first 8 bytes.
/// </summary>
internal readonly record struct Handshake(
    int Layers, int KvHeads, int HeadDim, int ElementBytes, int TokensPerBlock, int BlockBytes, BlockKey Root, long Session)
{
    /// <summary>Length of a version-1 handshake.</summary>
    public const int Bytes = 64;

    /// <summary>Magic, version and length: enough to decide whether to read on.</summary>
    public const int PrefixBytes = 8;

    /// <summary>"KVTS": KV Transfer, Sender.</summary>
    public static ReadOnlySpan<byte> Magic => "KVTS"u8;

    /// <summary>The handshake a side with <paramref name="hasher"/>'s layout and namespace sends.</summary>
    public static Handshake For(BlockHasher hasher, long session)
    {
        KvLayout layout = hasher.Layout;
        return new Handshake(layout.Layers, layout.KvHeads, layout.HeadDim, layout.ElementBytes, layout.TokensPerBlock,
            layout.BytesPerBlock, hasher.Root, session);
    }

    /// <summary>Writes the 64 bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], WireFormat.Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], Bytes);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Layers);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], KvHeads);
        BinaryPrimitives.WriteInt32LittleEndian(destination[16..], HeadDim);
        BinaryPrimitives.WriteInt32LittleEndian(destination[20..], ElementBytes);
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], TokensPerBlock);
        BinaryPrimitives.WriteInt32LittleEndian(destination[28..], BlockBytes);
        Root.WriteTo(destination[32..]);
        BinaryPrimitives.WriteInt64LittleEndian(destination[48..], Session);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[56..], XxHash3.HashToUInt64(destination[..56]));
    }

    /// <summary>
    /// Checks the first 8 bytes. Returns <see cref="TransferFault.None"/> and the full length to read, or the fault
    /// and a reason.
    /// </summary>
    public static TransferFault CheckPrefix(ReadOnlySpan<byte> prefix, out int length, out string? reason)
    {
        length = 0;
        if (!prefix[..4].SequenceEqual(Magic))
        {
            reason = $"bad magic 0x{Convert.ToHexString(prefix[..4])}: expected 0x{Convert.ToHexString(Magic)} (\"KVTS\"); the peer does not speak the KvTiering block-stream protocol";
            return TransferFault.BadMagic;
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(prefix[4..]);
        if (version != WireFormat.Version)
        {
            reason = $"unsupported protocol version {version}: this receiver speaks version {WireFormat.Version}";
            return TransferFault.UnsupportedVersion;
        }

        length = BinaryPrimitives.ReadUInt16LittleEndian(prefix[6..]);
        if (length != Bytes)
        {
            reason = $"handshake length {length} is wrong: a version-{WireFormat.Version} handshake is {Bytes} bytes";
            return TransferFault.MalformedHandshake;
        }

        reason = null;
        return TransferFault.None;
    }

    /// <summary>Reads a whole 64-byte handshake whose prefix passed <see cref="CheckPrefix"/>; false when its checksum fails.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out Handshake handshake)
    {
        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(source[56..]);
        handshake = new Handshake(
            BinaryPrimitives.ReadInt32LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[20..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[28..]),
            BlockKey.ReadFrom(source[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[48..]));
        return XxHash3.HashToUInt64(source[..56]) == expected;
    }

    /// <summary>
    /// Compares a sender's handshake with this side's (<paramref name="local"/>): the layout first, then the
    /// namespace, so the reason names the first thing that differs.
    /// </summary>
    public static TransferFault Compare(in Handshake remote, in Handshake local, out string? reason)
    {
        if (remote.Layers != local.Layers || remote.KvHeads != local.KvHeads || remote.HeadDim != local.HeadDim
            || remote.ElementBytes != local.ElementBytes || remote.TokensPerBlock != local.TokensPerBlock
            || remote.BlockBytes != local.BlockBytes)
        {
            reason = $"KV layout mismatch: the sender's blocks are {remote.DescribeLayout()}, the receiver's are {local.DescribeLayout()}";
            return TransferFault.LayoutMismatch;
        }

        if (remote.Root != local.Root)
        {
            reason = $"key namespace mismatch: the sender's root key is {remote.Root}, the receiver's is {local.Root} " +
                "(same layout, different model id or salt), so equal keys would name different prefixes";
            return TransferFault.NamespaceMismatch;
        }

        reason = null;
        return TransferFault.None;
    }

    private string DescribeLayout() => string.Create(CultureInfo.InvariantCulture,
        $"{Layers} layers × {KvHeads} KV heads × head dim {HeadDim} × {ElementBytes}-byte elements × {TokensPerBlock} tokens ({BlockBytes} bytes)");
}
