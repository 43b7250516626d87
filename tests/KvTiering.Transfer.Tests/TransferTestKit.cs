using System.Buffers.Binary;
using System.IO.Pipelines;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using KvTiering.Transfer.Protocol;
using KvTiering.Transfer.Transport;

namespace KvTiering.Transfer.Tests;

/// <summary>Layouts, stores, chains and payloads for transfer tests.</summary>
internal static class TransferTestKit
{
    /// <summary>1 layer, 1 head, dim 8, 2-byte elements, 4 tokens: 128-byte blocks.</summary>
    public static KvLayout TinyLayout { get; } = new("test-model", 1, 1, 8, 2, 4);

    /// <summary>A layout whose blocks are exactly 1 MiB (1 layer × 1 head × 256 dims × 2 bytes × 1,024 tokens × K and V).</summary>
    public static KvLayout MiBLayout { get; } = new("test-model-mib", 1, 1, 256, 2, 1024);

    /// <summary>1 layer, 1 head, dim 64, 2-byte elements, 128 tokens: 32 KiB blocks.</summary>
    public static KvLayout SmallLayout { get; } = new("test-model-small", 1, 1, 64, 2, 128);

    /// <summary>Bytes of a tiny block frame on the wire.</summary>
    public static int TinyFrame => WireFormat.FrameOverheadBytes + TinyLayout.BytesPerBlock;

    public static TieredKvStore CreateStore(KvLayout layout, int capacity = 256, double maxPinnedFraction = 0.5)
    {
        var options = new KvStoreOptions { Layout = layout, MaxPinnedFraction = maxPinnedFraction };
        options.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0), capacity));
        return new TieredKvStore(options);
    }

    /// <summary>The keys of <paramref name="blocks"/> full blocks of tokens drawn from <paramref name="seed"/>.</summary>
    public static BlockKey[] Chain(BlockHasher hasher, int blocks, int seed, BlockKey? parent = null)
    {
        var random = new Random(seed);
        var tokens = new int[blocks * hasher.TokensPerBlock];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = random.Next(150_000);
        }

        var keys = new BlockKey[blocks];
        hasher.ComputeKeys(parent ?? hasher.Root, tokens, keys);
        return keys;
    }

    /// <summary>Synthetic KV bytes derived from the key, so any block can be checked byte for byte.</summary>
    public static byte[] Payload(BlockKey key, int length)
    {
        var bytes = new byte[length];
        ulong state = key.Low ^ key.High ^ 0x9E3779B97F4A7C15UL;
        for (int i = 0; i + 8 <= length; i += 8)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i), state);
        }

        return bytes;
    }

    /// <summary>Puts <paramref name="chain"/> into <paramref name="store"/>, each block's parent the one before it.</summary>
    public static void Fill(TieredKvStore store, BlockKey firstParent, BlockKey[] chain)
    {
        for (int i = 0; i < chain.Length; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(chain[i], i == 0 ? firstParent : chain[i - 1], Payload(chain[i], store.BlockBytes)));
        }
    }

    /// <summary>Asserts every key is resident with exactly its synthetic bytes.</summary>
    public static void AssertHolds(TieredKvStore store, IEnumerable<BlockKey> keys)
    {
        var buffer = new byte[store.BlockBytes];
        foreach (BlockKey key in keys)
        {
            Assert.True(store.TryGet(key, buffer, out int length), $"block {key} is missing");
            Assert.True(buffer.AsSpan(0, length).SequenceEqual(Payload(key, store.BlockBytes)), $"block {key} came back wrong");
        }
    }

    /// <summary>Asserts none of the keys is resident.</summary>
    public static void AssertLacks(TieredKvStore store, IEnumerable<BlockKey> keys)
    {
        foreach (BlockKey key in keys)
        {
            Assert.False(store.Contains(key), $"block {key} should not be there");
        }
    }

    public static (DuplexPipe Sender, DuplexPipe Receiver) Pair(KvLayout layout, BlockTransferOptions? options = null) =>
        DuplexPipe.CreatePair((options ?? BlockTransferOptions.Default).CreatePipeOptions(layout.BytesPerBlock));

    public static BlockTransferOptions Idle(TimeSpan timeout) => new() { IdleTimeout = timeout };

    /// <summary>The frames a sender would write for <paramref name="chain"/> (without the end frame).</summary>
    public static byte[] BuildFrames(Ends ends, BlockKey[] chain)
    {
        int blockBytes = ends.SenderStore.BlockBytes;
        int frame = WireFormat.FrameOverheadBytes + blockBytes;
        var bytes = new byte[chain.Length * frame];
        for (int i = 0; i < chain.Length; i++)
        {
            Span<byte> f = bytes.AsSpan(i * frame, frame);
            Payload(chain[i], blockBytes).CopyTo(f[WireFormat.FrameHeaderBytes..]);
            WireFormat.WriteFrameHeader(f, WireFormat.BlockFrame, blockBytes, chain[i], i == 0 ? ends.SenderHasher.Root : chain[i - 1]);
            WireFormat.SealFrame(f, blockBytes);
        }

        return bytes;
    }

    /// <summary>A sender and a receiver store, each with its own hasher of <paramref name="layout"/>.</summary>
    public sealed class Ends : IDisposable
    {
        public Ends(KvLayout layout, int capacity = 256, string? receiverSalt = null, KvLayout? receiverLayout = null,
            BlockTransferOptions? options = null)
        {
            SenderHasher = new BlockHasher(layout);
            ReceiverHasher = new BlockHasher(receiverLayout ?? layout, receiverSalt);
            SenderStore = CreateStore(layout, capacity);
            ReceiverStore = CreateStore(receiverLayout ?? layout, capacity);
            Sender = new BlockStreamSender(SenderStore, SenderHasher, options);
            Receiver = new BlockStreamReceiver(ReceiverStore, ReceiverHasher, options);
        }

        public BlockHasher SenderHasher { get; }

        public BlockHasher ReceiverHasher { get; }

        public TieredKvStore SenderStore { get; }

        public TieredKvStore ReceiverStore { get; }

        public BlockStreamSender Sender { get; }

        public BlockStreamReceiver Receiver { get; }

        /// <summary>A chain of <paramref name="blocks"/> put into the sender's store.</summary>
        public BlockKey[] SenderChain(int blocks, int seed = 1)
        {
            BlockKey[] chain = Chain(SenderHasher, blocks, seed);
            Fill(SenderStore, SenderHasher.Root, chain);
            return chain;
        }

        public void Dispose()
        {
            SenderStore.Dispose();
            ReceiverStore.Dispose();
        }
    }

    /// <summary>Runs a send and a receive over <paramref name="sender"/> and <paramref name="receiver"/> pipes concurrently.</summary>
    public static async Task<(BlockSendResult Send, BlockReceiveResult Receive)> RunAsync(Ends ends, IDuplexPipe sender,
        IDuplexPipe receiver, BlockKey[] chain, long session = 0)
    {
        Task<BlockReceiveResult> receiving = Task.Run(() => ends.Receiver.ReceiveAsync(receiver));
        Task<BlockSendResult> sending = Task.Run(() => ends.Sender.SendChainAsync(sender, ends.SenderHasher.Root, chain, session));
        return (await sending, await receiving);
    }
}
