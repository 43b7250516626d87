using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using KvTiering.Blocks;

namespace KvTiering.Tests.Blocks;

/// <summary>Pins the key spec of docs/key-spec.md: its test vectors and its properties.</summary>
public sealed class BlockHasherTests
{
    private static readonly KvLayout Llama4 = ModelPresets.Llama31_8B.Layout(tokensPerBlock: 4);
    private static readonly int[] ZeroToSeven = [0, 1, 2, 3, 4, 5, 6, 7];

    [Fact]
    public void Namespace_string_is_the_documented_format()
    {
        Assert.Equal(
            "kvtiering/v1|model=llama-3.1-8b|layers=32|kv_heads=8|head_dim=128|elem_bytes=2|block_tokens=4|salt=",
            new BlockHasher(Llama4).Namespace);
        Assert.EndsWith("|salt=tenant-a", new BlockHasher(Llama4, "tenant-a").Namespace, StringComparison.Ordinal);
    }

    // The vectors printed in docs/key-spec.md (also reproduced by an independent Python XXH3-128 there).
    [Theory]
    [InlineData(null, "26eaa4dcb1207c157cc6cfb6e5b223d3", "776584f8756b134d31b1df82b1617342", "d922633406631e2fac149eb160c5efd7")]
    [InlineData("tenant-a", "be6fe8e05258916f7352f74d988d4bbe", "a5186ab5205c7cbd74b491dc8dd11f77", "e5cbd84fbb83a22f6863c22a68ff08da")]
    public void Test_vectors_match_the_spec(string? salt, string root, string key0, string key1)
    {
        var hasher = new BlockHasher(Llama4, salt);
        var keys = new BlockKey[2];
        Assert.Equal(2, hasher.ComputeKeys(ZeroToSeven, keys));
        Assert.Equal(root, hasher.Root.ToString());
        Assert.Equal(key0, keys[0].ToString());
        Assert.Equal(key1, keys[1].ToString());
        Assert.Equal(keys[1], BlockKey.Parse(key1));
    }

    [Fact]
    public void Hash_primitive_matches_reference_xxh128_vectors()
    {
        // XXH3-128, seed 0, from the xxHash reference sanity vectors; hex is high half first, as BlockKey prints.
        Assert.Equal("99aa06d3014798d86001c324468d497f", BlockKey.FromUInt128(XxHash128.HashToUInt128([])).ToString());
        Assert.Equal("06b05ab6733a618578af5f94892f3950", BlockKey.FromUInt128(XxHash128.HashToUInt128("abc"u8)).ToString());
    }

    [Fact]
    public void Keys_follow_the_spec_byte_for_byte()
    {
        var hasher = new BlockHasher(Llama4, "s");
        int[] tokens = [10, -1, int.MaxValue, 7, 100_000, 0, 3, int.MinValue, 42, 43, 44, 45];
        var keys = new BlockKey[3];
        hasher.ComputeKeys(tokens, keys);

        BlockKey expected = BlockKey.FromUInt128(XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(hasher.Namespace)));
        Assert.Equal(expected, hasher.Root);
        for (int i = 0; i < 3; i++)
        {
            var buffer = new byte[16 + (4 * 4)];
            BinaryPrimitives.WriteUInt64LittleEndian(buffer, expected.Low);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(8), expected.High);
            for (int t = 0; t < 4; t++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(16 + (4 * t)), tokens[(4 * i) + t]);
            }

            expected = BlockKey.FromUInt128(XxHash128.HashToUInt128(buffer));
            Assert.Equal(expected, keys[i]);
        }
    }

    [Fact]
    public void Equal_prefixes_give_equal_keys()
    {
        var hasher = new BlockHasher(Llama4);
        int[] a = [.. Enumerable.Range(0, 12)];
        int[] b = [.. Enumerable.Range(0, 8), 99, 98, 97, 96];
        var ka = new BlockKey[3];
        var kb = new BlockKey[3];
        hasher.ComputeKeys(a, ka);
        hasher.ComputeKeys(b, kb);
        Assert.Equal(ka[0], kb[0]);
        Assert.Equal(ka[1], kb[1]);
        Assert.NotEqual(ka[2], kb[2]);
        Assert.Equal(ka, Keys(new BlockHasher(Llama4), a));
    }

    [Fact]
    public void One_changed_token_changes_its_block_key_and_every_later_one()
    {
        var hasher = new BlockHasher(Llama4);
        int[] original = [.. Enumerable.Range(0, 16)];
        int[] changed = (int[])original.Clone();
        changed[5] = 1_000_000;
        BlockKey[] ko = Keys(hasher, original);
        BlockKey[] kc = Keys(hasher, changed);
        Assert.Equal(ko[0], kc[0]);
        for (int i = 1; i < 4; i++)
        {
            Assert.NotEqual(ko[i], kc[i]);
        }
    }

    [Fact]
    public void Salt_model_and_layout_separate_the_key_spaces()
    {
        BlockKey[] plain = Keys(new BlockHasher(Llama4), ZeroToSeven);
        BlockKey[] salted = Keys(new BlockHasher(Llama4, "tenant-a"), ZeroToSeven);
        BlockKey[] otherSalt = Keys(new BlockHasher(Llama4, "tenant-b"), ZeroToSeven);
        // Mistral 7B has the very same KV dimensions as Llama 3.1 8B; only the model id differs.
        BlockKey[] otherModel = Keys(new BlockHasher(ModelPresets.Mistral7B.Layout(tokensPerBlock: 4)), ZeroToSeven);
        BlockKey[] fp8 = Keys(new BlockHasher(ModelPresets.Llama31_8B.Layout(tokensPerBlock: 4, elementBytes: 1)), ZeroToSeven);
        BlockKey[][] all = [plain, salted, otherSalt, otherModel, fp8];
        for (int i = 0; i < all.Length; i++)
        {
            for (int j = i + 1; j < all.Length; j++)
            {
                Assert.NotEqual(all[i][0], all[j][0]);
                Assert.NotEqual(all[i][1], all[j][1]);
            }
        }

        Assert.Equal(plain, Keys(new BlockHasher(Llama4, string.Empty), ZeroToSeven));
        Assert.NotEqual(new BlockHasher(Llama4).Root, new BlockHasher(Llama4.WithTokensPerBlock(8)).Root);
    }

    [Fact]
    public void Partial_block_gets_no_key()
    {
        var hasher = new BlockHasher(Llama4);
        var keys = new BlockKey[3];
        Assert.Equal(1, hasher.ComputeKeys([0, 1, 2, 3, 4, 5, 6], keys));
        Assert.Equal(Keys(hasher, [0, 1, 2, 3])[0], keys[0]);
        Assert.True(keys[1].IsEmpty);
        Assert.Equal(0, hasher.ComputeKeys([0, 1, 2], keys));
        Assert.Equal(0, hasher.ComputeKeys([], []));
        Assert.Equal(1, hasher.BlockCount(7));
        Assert.Equal(0, hasher.BlockCount(3));
    }

    [Fact]
    public void Continuing_a_chain_equals_hashing_it_whole()
    {
        var hasher = new BlockHasher(Llama4);
        int[] tokens = [.. Enumerable.Range(100, 20)];
        BlockKey[] whole = Keys(hasher, tokens);
        var tail = new BlockKey[3];
        Assert.Equal(3, hasher.ComputeKeys(whole[1], tokens.AsSpan(8), tail));
        Assert.Equal(whole[2..], tail);
    }

    [Fact]
    public void Large_blocks_stream_to_the_same_keys_as_the_spec()
    {
        // 2,048 tokens = 8 KiB per block: past the copying path's stack buffer (it streams there); machines with AVX2
        // take the copy-free path instead. BlockHasherPathTests runs both paths on every machine.
        var layout = new KvLayout("big", 1, 1, 1, 2, 2048);
        var hasher = new BlockHasher(layout);
        int[] tokens = [.. Enumerable.Range(0, 4096).Select(i => i * 7919)];
        BlockKey[] keys = Keys(hasher, tokens);

        BlockKey parent = hasher.Root;
        for (int i = 0; i < 2; i++)
        {
            var buffer = new byte[16 + (2048 * 4)];
            parent.WriteTo(buffer);
            for (int t = 0; t < 2048; t++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(16 + (4 * t)), tokens[(2048 * i) + t]);
            }

            parent = BlockKey.FromUInt128(XxHash128.HashToUInt128(buffer));
            Assert.Equal(parent, keys[i]);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(2048)]
    public void ComputeKeys_allocates_nothing(int tokensPerBlock)
    {
        var hasher = new BlockHasher(ModelPresets.Llama31_8B.Layout(tokensPerBlock));
        int[] tokens = [.. Enumerable.Range(0, 8192)];
        var keys = new BlockKey[8192 / tokensPerBlock];
        hasher.ComputeKeys(tokens, keys); // warm-up: JIT and the per-thread streaming state

        long before = GC.GetAllocatedBytesForCurrentThread();
        int written = hasher.ComputeKeys(tokens, keys);
        long after = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(keys.Length, written);
        Assert.Equal(before, after);
    }

    [Fact]
    public void Short_destination_throws()
    {
        var hasher = new BlockHasher(Llama4);
        var ex = Assert.Throws<ArgumentException>(() => hasher.ComputeKeys(ZeroToSeven, new BlockKey[1]));
        Assert.Equal("destination", ex.ParamName);
        Assert.Contains("2 full blocks", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_parent_throws()
    {
        var hasher = new BlockHasher(Llama4);
        var ex = Assert.Throws<ArgumentException>(() => hasher.ComputeKeys(BlockKey.Empty, ZeroToSeven, new BlockKey[2]));
        Assert.Equal("parent", ex.ParamName);
    }

    private static BlockKey[] Keys(BlockHasher hasher, int[] tokens)
    {
        var keys = new BlockKey[hasher.BlockCount(tokens.Length)];
        hasher.ComputeKeys(tokens, keys);
        return keys;
    }
}
