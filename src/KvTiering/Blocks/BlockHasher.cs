using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace KvTiering.Blocks;

/// <summary>
/// Turns token sequences into chained <see cref="BlockKey"/>s, as specified in docs/key-spec.md (version 1).
/// </summary>
/// <remarks>
/// key(0) = XxHash128(root ‖ tokens[0..B)), key(i) = XxHash128(key(i−1) ‖ tokens[iB..(i+1)B)), where ‖ is byte
/// concatenation, keys are 16 little-endian bytes, tokens are 32-bit little-endian integers and the seed is 0.
/// The root is XxHash128 of the UTF-8 namespace string built from the model id, the KV layout and the salt, so
/// blocks of different models, layouts, tenants or adapters never share keys. The same chaining scheme is used by
/// vLLM's prefix cache (hash of parent hash and block tokens).
/// An instance is immutable and thread-safe.
/// </remarks>
public sealed class BlockHasher
{
    private const int KeyBytes = 16;

    /// <summary>The spec version this hasher implements.</summary>
    public const int SpecVersion = 1;

    /// <summary>Creates a hasher for one model layout and an optional salt (tenant, LoRA adapter, cache salt).</summary>
    public BlockHasher(KvLayout layout, string? salt = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        Salt = salt ?? string.Empty;
        Namespace = BuildNamespace(layout, Salt);
        Root = BlockKey.FromUInt128(XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(Namespace)));
        if (Root.IsEmpty)
        {
            // 2^-128 event; the empty key is reserved, so refuse rather than alias it.
            throw new InvalidOperationException("The namespace hashed to the reserved empty key.");
        }
    }

    /// <summary>The layout whose blocks this hasher keys.</summary>
    public KvLayout Layout { get; }

    /// <summary>The salt mixed into the namespace (empty when none).</summary>
    public string Salt { get; }

    /// <summary>The namespace string the root key hashes.</summary>
    public string Namespace { get; }

    /// <summary>The root of every chain: the parent of each sequence's first block.</summary>
    public BlockKey Root { get; }

    /// <summary>Tokens per block.</summary>
    public int TokensPerBlock => Layout.TokensPerBlock;

    /// <summary>Number of full blocks (and so keys) in <paramref name="tokenCount"/> tokens.</summary>
    public int BlockCount(int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenCount);
        return tokenCount / Layout.TokensPerBlock;
    }

    /// <summary>
    /// Writes the chained keys of every full block of <paramref name="tokens"/> into <paramref name="destination"/>
    /// and returns how many it wrote. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the number of full blocks.</exception>
    public int ComputeKeys(ReadOnlySpan<int> tokens, Span<BlockKey> destination) =>
        ComputeKeys(Root, tokens, destination);

    /// <summary>
    /// Continues a chain: keys for the full blocks of <paramref name="tokens"/> whose first block's parent is
    /// <paramref name="parent"/> (the key of the block just before them, or <see cref="Root"/>).
    /// </summary>
    public int ComputeKeys(BlockKey parent, ReadOnlySpan<int> tokens, Span<BlockKey> destination)
    {
        int blockTokens = Layout.TokensPerBlock;
        int count = tokens.Length / blockTokens;
        if (destination.Length < count)
        {
            ThrowHelper.ThrowArgument(nameof(destination),
                $"Destination holds {destination.Length} keys but {tokens.Length} tokens make {count} full blocks.");
        }

        if (parent.IsEmpty)
        {
            ThrowHelper.ThrowArgument(nameof(parent), "The parent of a chain is the root or a block key, never empty.");
        }

        if (ChainedXxh3.CanFuse(blockTokens))
        {
            ChainedXxh3.ComputeKeys(parent, MemoryMarshal.AsBytes(tokens), blockTokens * sizeof(int), destination, count);
            return count;
        }

        ComputeKeysCopying(parent, tokens, destination, count, blockTokens);
        return count;
    }

    /// <summary>
    /// The path for machines or block sizes the fused path does not cover: each block's input is assembled in a
    /// buffer and hashed with <see cref="XxHash128"/>. Callers have validated the arguments.
    /// </summary>
    internal static void ComputeKeysCopying(BlockKey parent, ReadOnlySpan<int> tokens, Span<BlockKey> destination,
        int count, int blockTokens)
    {
        if (!BitConverter.IsLittleEndian)
        {
            ComputeKeysPortable(parent, tokens, destination, count, blockTokens);
            return;
        }

        ReadOnlySpan<byte> tokenBytes = MemoryMarshal.AsBytes(tokens);
        int blockBytes = blockTokens * sizeof(int);

        // One contiguous buffer (parent ‖ block tokens) hashed one-shot is faster than the streaming API, whose
        // per-call state setup dominates at small block sizes; blocks over 4 KiB stream to bound stack use.
        if (blockBytes <= 4096)
        {
            Span<byte> buffer = stackalloc byte[KeyBytes + blockBytes];
            Span<byte> body = buffer[KeyBytes..];
            BlockKey current = parent;
            for (int i = 0; i < count; i++)
            {
                current.WriteTo(buffer);
                tokenBytes.Slice(i * blockBytes, blockBytes).CopyTo(body);
                current = BlockKey.FromUInt128(XxHash128.HashToUInt128(buffer));
                destination[i] = current;
            }

            return;
        }

        ComputeKeysStreaming(parent, tokenBytes, destination, count, blockBytes);
    }

    private static void ComputeKeysStreaming(BlockKey parent, ReadOnlySpan<byte> tokenBytes, Span<BlockKey> destination,
        int count, int blockBytes)
    {
        var hash = t_streaming ??= new XxHash128();
        Span<byte> keyBytes = stackalloc byte[KeyBytes];
        BlockKey current = parent;
        for (int i = 0; i < count; i++)
        {
            hash.Reset();
            current.WriteTo(keyBytes);
            hash.Append(keyBytes);
            hash.Append(tokenBytes.Slice(i * blockBytes, blockBytes));
            current = BlockKey.FromUInt128(hash.GetCurrentHashAsUInt128());
            destination[i] = current;
        }
    }

    private static void ComputeKeysPortable(BlockKey parent, ReadOnlySpan<int> tokens, Span<BlockKey> destination,
        int count, int blockTokens)
    {
        var buffer = new byte[KeyBytes + (blockTokens * sizeof(int))];
        BlockKey current = parent;
        for (int i = 0; i < count; i++)
        {
            current.WriteTo(buffer);
            for (int t = 0; t < blockTokens; t++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(KeyBytes + (t * sizeof(int))), tokens[(i * blockTokens) + t]);
            }

            current = BlockKey.FromUInt128(XxHash128.HashToUInt128(buffer));
            destination[i] = current;
        }
    }

    [ThreadStatic]
    private static XxHash128? t_streaming;

    internal static string BuildNamespace(KvLayout layout, string salt) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"kvtiering/v{SpecVersion}|model={layout.ModelId}|layers={layout.Layers}|kv_heads={layout.KvHeads}|head_dim={layout.HeadDim}|elem_bytes={layout.ElementBytes}|block_tokens={layout.TokensPerBlock}|salt={salt}");
}
