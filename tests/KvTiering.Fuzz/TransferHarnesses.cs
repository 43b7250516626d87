using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.Pipelines;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tiers;
using KvTiering.Transfer;
using KvTiering.Transfer.Protocol;

namespace KvTiering.Fuzz;

/// <summary>
/// The block-stream protocol from both ends, through the public endpoints: the receiver reads a sender's handshake and
/// frames (the input) into a store; the sender reads a receiver's reply and receipt (the input). Contract: a result,
/// never an exception, and counts that add up.
/// </summary>
/// <remarks>
/// The input's first byte is a mode: with bit 0 set, the harness rewrites every checksum the input's own lengths
/// frame before the endpoint sees it, so AFL reaches the checks behind them (layout, frame types, lengths, counts)
/// instead of stopping at XXH3.
/// </remarks>
internal static class TransferHarnesses
{
    private static readonly KvLayout Layout = new("fuzz", 1, 1, 8, 2, 4); // 128-byte blocks
    private static readonly BlockHasher Hasher = new(Layout);

    public static void Receiver(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        byte[] stream = input[1..];
        if ((input[0] & 1) != 0)
        {
            ResealSenderStream(stream);
        }

        using TieredKvStore store = Store();
        var receiver = new BlockStreamReceiver(store, Hasher, Options);
        BlockReceiveResult result = receiver.ReceiveAsync(Connection(stream)).GetAwaiter().GetResult();
        if (result.BlocksStored > result.BlocksVerified || result.BlocksVerified > result.BlocksReceived
            || store.Count > result.BlocksStored || result.Completed != (result.Fault == TransferFault.None))
        {
            throw new InvalidOperationException($"receive counts do not add up: {result}, {store.Count} resident");
        }
    }

    public static void Sender(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        byte[] stream = input[1..];
        if ((input[0] & 1) != 0)
        {
            ResealReceiverStream(stream);
        }

        using TieredKvStore store = Store();
        BlockKey[] chain = Chain(store, 3);
        var sender = new BlockStreamSender(store, Hasher, Options);
        BlockSendResult result = sender.SendChainAsync(Connection(stream), Hasher.Root, chain).GetAwaiter().GetResult();
        if (result.BlocksSent > chain.Length || result.Completed != (result.Fault == TransferFault.None))
        {
            throw new InvalidOperationException($"send result does not add up: {result}");
        }
    }

    private static BlockTransferOptions Options => new() { IdleTimeout = TimeSpan.FromSeconds(5) };

    private static TieredKvStore Store()
    {
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0), 16));
        return new TieredKvStore(options);
    }

    private static BlockKey[] Chain(TieredKvStore store, int blocks)
    {
        var keys = new BlockKey[blocks];
        Hasher.ComputeKeys(Hasher.Root, Enumerable.Range(0, blocks * Layout.TokensPerBlock).ToArray(), keys);
        for (int i = 0; i < blocks; i++)
        {
            store.Put(keys[i], i == 0 ? Hasher.Root : keys[i - 1], Enumerable.Repeat((byte)i, store.BlockBytes).ToArray());
        }

        return keys;
    }

    /// <summary>The input as the peer's side of a connection; what the endpoint writes goes into a pipe that never pauses.</summary>
    private static Ends Connection(byte[] incoming)
    {
        var input = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        incoming.CopyTo(input.Writer.GetSpan(Math.Max(1, incoming.Length)));
        input.Writer.Advance(incoming.Length);
        _ = input.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
        input.Writer.Complete();
        var output = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        return new Ends(input.Reader, output.Writer);
    }

    /// <summary>Rewrites the handshake's checksum and each frame's, frame lengths as the input gives them.</summary>
    private static void ResealSenderStream(Span<byte> stream)
    {
        if (stream.Length < Handshake.Bytes)
        {
            return;
        }

        Reseal(stream, Handshake.Bytes - WireFormat.ChecksumBytes);
        Span<byte> rest = stream[Handshake.Bytes..];
        while (rest.Length >= WireFormat.FrameOverheadBytes)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(rest[4..]);
            if (length > (uint)(rest.Length - WireFormat.FrameOverheadBytes))
            {
                return;
            }

            int covered = WireFormat.FrameHeaderBytes + (int)length;
            Reseal(rest, covered);
            rest = rest[(covered + WireFormat.ChecksumBytes)..];
        }
    }

    /// <summary>Rewrites the checksum of each receiver message (reply, receipt), reason lengths as the input gives them.</summary>
    private static void ResealReceiverStream(Span<byte> stream)
    {
        while (stream.Length >= ReceiverMessage.HeaderBytes + WireFormat.ChecksumBytes)
        {
            int reason = BinaryPrimitives.ReadInt32LittleEndian(stream[32..]);
            if (reason < 0 || reason > stream.Length - ReceiverMessage.HeaderBytes - WireFormat.ChecksumBytes)
            {
                return;
            }

            int covered = ReceiverMessage.HeaderBytes + reason;
            Reseal(stream, covered);
            stream = stream[(covered + WireFormat.ChecksumBytes)..];
        }
    }

    private static void Reseal(Span<byte> bytes, int covered) =>
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[covered..], XxHash3.HashToUInt64(bytes[..covered]));

    public static IReadOnlyDictionary<string, byte[]> ReceiverSeeds()
    {
        var stream = new List<byte>();
        var handshake = new byte[Handshake.Bytes];
        Handshake.For(Hasher, session: 42).WriteTo(handshake);
        stream.AddRange(handshake);
        var frame = new byte[WireFormat.FrameOverheadBytes + Layout.BytesPerBlock];
        var keys = new BlockKey[2];
        Hasher.ComputeKeys(Hasher.Root, Enumerable.Range(0, 2 * Layout.TokensPerBlock).ToArray(), keys);
        long payload = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            int length = Layout.BytesPerBlock - (i * 8);
            WireFormat.WriteFrameHeader(frame, WireFormat.BlockFrame, length, keys[i], i == 0 ? Hasher.Root : keys[i - 1]);
            frame.AsSpan(WireFormat.FrameHeaderBytes, length).Fill((byte)(i + 1));
            stream.AddRange(frame.AsSpan(0, WireFormat.SealFrame(frame, length)).ToArray());
            payload += length;
        }

        var end = new byte[WireFormat.FrameOverheadBytes + WireFormat.EndPayloadBytes];
        stream.AddRange(end.AsSpan(0, WireFormat.WriteEndFrame(end, keys.Length, payload, 0)).ToArray());
        byte[] whole = [.. stream];
        return new Dictionary<string, byte[]>
        {
            ["two-blocks"] = [0, .. whole],
            ["two-blocks-resealed"] = [1, .. whole],
            ["handshake-only"] = [0, .. handshake],
        };
    }

    public static IReadOnlyDictionary<string, byte[]> SenderSeeds()
    {
        var buffer = new byte[ReceiverMessage.MaxBytes];
        int reply = new ReceiverMessage(ReceiverMessage.Reply, TransferFault.None, 0, 0, 0, null).WriteTo(buffer);
        byte[] replyBytes = buffer[..reply];
        int receipt = new ReceiverMessage(ReceiverMessage.Receipt, TransferFault.None, 3, 3, 0, null).WriteTo(buffer);
        byte[] receiptBytes = buffer[..receipt];
        int refused = new ReceiverMessage(ReceiverMessage.Reply, TransferFault.LayoutMismatch, 0, 0, 0, "layout differs: héllo").WriteTo(buffer);
        return new Dictionary<string, byte[]>
        {
            ["accepted"] = [0, .. replyBytes, .. receiptBytes],
            ["accepted-resealed"] = [1, .. replyBytes, .. receiptBytes],
            ["refused"] = [0, .. buffer[..refused]],
        };
    }

    private sealed class Ends(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
