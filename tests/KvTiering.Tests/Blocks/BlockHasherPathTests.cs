using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.Intrinsics.X86;
using KvTiering.Blocks;

namespace KvTiering.Tests.Blocks;

/// <summary>
/// The copy-free XXH3-128 path against <see cref="XxHash128"/> over the spec's concatenation, for every block size
/// across each of XXH3's input-length paths and their stripe and block boundaries.
/// </summary>
public sealed class BlockHasherPathTests
{
    // 8..28 tokens: 17–128-byte inputs; 29..56: 129–240; 57 and up: the stripe loop. 252/253 cross the first 1 KiB
    // scramble, 268/269 add a tail stripe, 508/509 end on and just past a second 1 KiB block.
    public static TheoryData<int> BlockSizes()
    {
        var sizes = new TheoryData<int>();
        foreach (int size in (int[])[1, 3, 4, 7, 8, 9, 12, 15, 16, 20, 23, 24, 27, 28, 29, 30, 31, 32, 40, 48, 55, 56,
                     57, 58, 60, 63, 64, 65, 100, 128, 236, 237, 252, 253, 256, 268, 269, 300, 508, 509, 512, 1024, 1025,
                     2048, 4096])
        {
            sizes.Add(size);
        }

        return sizes;
    }

    [Theory]
    [MemberData(nameof(BlockSizes))]
    public void Every_path_matches_XxHash128_over_the_concatenation(int blockTokens)
    {
        var rng = new Random(blockTokens);
        var tokens = new int[(3 * blockTokens) + (blockTokens / 2)];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = rng.Next(int.MinValue, int.MaxValue);
        }

        tokens[0] = int.MinValue;
        tokens[^1] = -1;
        var parent = new BlockKey((ulong)rng.NextInt64(), ulong.MaxValue - (ulong)blockTokens);
        BlockKey[] expected = Reference(parent, tokens, blockTokens);

        var hasher = new BlockHasher(new KvLayout("paths", 1, 1, 1, 2, blockTokens));
        var keys = new BlockKey[4];
        Assert.Equal(3, hasher.ComputeKeys(parent, tokens, keys));
        Assert.Equal(expected, keys[..3]);
        Assert.True(keys[3].IsEmpty);

        var copied = new BlockKey[3];
        BlockHasher.ComputeKeysCopying(parent, tokens, copied, 3, blockTokens);
        Assert.Equal(expected, copied);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(2048)]
    public void The_copying_path_allocates_nothing(int blockTokens)
    {
        int[] tokens = [.. Enumerable.Range(0, 8192)];
        var keys = new BlockKey[8192 / blockTokens];
        var parent = new BlockKey(1, 2);
        BlockHasher.ComputeKeysCopying(parent, tokens, keys, keys.Length, blockTokens); // warm-up: JIT, streaming state

        long before = GC.GetAllocatedBytesForCurrentThread();
        BlockHasher.ComputeKeysCopying(parent, tokens, keys, keys.Length, blockTokens);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(before, after);
        Assert.False(keys[^1].IsEmpty);
    }

    [Fact]
    public void The_fused_path_is_taken_where_the_hardware_allows()
    {
        Assert.False(ChainedXxh3.CanFuse(7));
        Assert.Equal(BitConverter.IsLittleEndian, ChainedXxh3.CanFuse(16));
        Assert.Equal(BitConverter.IsLittleEndian, ChainedXxh3.CanFuse(56));
        Assert.Equal(BitConverter.IsLittleEndian && Avx2.IsSupported, ChainedXxh3.CanFuse(57));
        Assert.Equal(BitConverter.IsLittleEndian && Avx2.IsSupported, ChainedXxh3.CanFuse(512));
    }

    [Fact]
    public void A_long_chain_of_16_token_blocks_matches_the_reference()
    {
        var rng = new Random(16);
        var tokens = new int[16 * 1000];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = rng.Next(128_256);
        }

        var hasher = new BlockHasher(ModelPresets.Llama31_8B.Layout(tokensPerBlock: 16));
        var keys = new BlockKey[1000];
        hasher.ComputeKeys(tokens, keys);
        Assert.Equal(Reference(hasher.Root, tokens, 16), keys);
    }

    private static BlockKey[] Reference(BlockKey parent, int[] tokens, int blockTokens)
    {
        var keys = new BlockKey[tokens.Length / blockTokens];
        var buffer = new byte[16 + (4 * blockTokens)];
        for (int i = 0; i < keys.Length; i++)
        {
            parent.WriteTo(buffer);
            for (int t = 0; t < blockTokens; t++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(16 + (4 * t)), tokens[(i * blockTokens) + t]);
            }

            parent = BlockKey.FromUInt128(XxHash128.HashToUInt128(buffer));
            keys[i] = parent;
        }

        return keys;
    }
}
