using System.Buffers;
using System.Formats.Cbor;
using System.Security.Cryptography;

namespace KvTiering.Blocks;

/// <summary>
/// Computes block hashes exactly as vLLM's prefix cache does with <c>--prefix-caching-hash-algo sha256_cbor</c>, so a
/// KvTiering store (and the events it publishes) names blocks the way a vLLM fleet and its KV-aware routers do.
/// </summary>
/// <remarks>
/// Follows <c>vllm/v1/core/kv_cache_utils.py</c> (<c>hash_block_tokens</c>, <c>generate_block_hash_extra_keys</c>,
/// <c>init_none_hash</c>) and <c>vllm/utils/hashing.py</c> (<c>sha256_cbor</c>): a block's hash is
/// <c>SHA-256(cbor2.dumps((parent, tuple(token_ids), extra_keys), canonical=True))</c>, where the first block's parent
/// is <c>NONE_HASH = sha256_cbor(PYTHONHASHSEED)</c> and <c>extra_keys</c> is <c>None</c> or a tuple of the LoRA name
/// (every block) followed by the cache salt (first block only). Only full blocks are hashed. Multimodal and
/// prompt-embedding keys are not modelled. The scheme is versioned in docs/key-spec.md with test vectors checked
/// against an independent Python implementation.
/// </remarks>
public sealed class VllmBlockHasher
{
    private readonly string? _loraName;

    /// <summary>Creates a hasher.</summary>
    /// <param name="blockSize">Tokens per block (vLLM's <c>--block-size</c>).</param>
    /// <param name="hashSeed">The value of <c>PYTHONHASHSEED</c> every vLLM process of the fleet runs with.</param>
    /// <param name="loraName">The LoRA adapter's name, or null for the base model.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockSize"/> is not positive.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="hashSeed"/> is null.</exception>
    public VllmBlockHasher(int blockSize, string hashSeed, string? loraName = null)
    {
        if (blockSize <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(blockSize), blockSize, "Tokens per block must be positive.");
        }

        ArgumentNullException.ThrowIfNull(hashSeed);
        BlockSize = blockSize;
        HashSeed = hashSeed;
        _loraName = string.IsNullOrEmpty(loraName) ? null : loraName;
        var writer = new CborWriter(CborConformanceMode.Canonical);
        writer.WriteTextString(hashSeed);
        NoneHash = Digest(writer);
    }

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }

    /// <summary>The hash seed (vLLM's <c>PYTHONHASHSEED</c>).</summary>
    public string HashSeed { get; }

    /// <summary>The LoRA adapter name mixed into every block, or null.</summary>
    public string? LoraName => _loraName;

    /// <summary>vLLM's <c>NONE_HASH</c>: the parent of every first block, <c>sha256_cbor(hashSeed)</c>.</summary>
    public VllmBlockHash NoneHash { get; }

    /// <summary>Number of full blocks in <paramref name="tokenCount"/> tokens.</summary>
    public int BlockCount(int tokenCount) => tokenCount < 0 ? 0 : tokenCount / BlockSize;

    /// <summary>Hashes every full block of a prompt from its first token.</summary>
    /// <param name="tokens">The prompt's token ids.</param>
    /// <param name="destination">Receives one hash per full block.</param>
    /// <param name="cacheSalt">The request's <c>cache_salt</c> (mixed into the first block only), or null.</param>
    /// <returns>The number of hashes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the number of full blocks.</exception>
    public int ComputeHashes(ReadOnlySpan<int> tokens, Span<VllmBlockHash> destination, string? cacheSalt = null)
    {
        int blocks = BlockCount(tokens.Length);
        if (destination.Length < blocks)
        {
            ThrowHelper.ThrowDestinationTooSmall(nameof(destination), destination.Length, blocks);
        }

        var writer = new CborWriter(CborConformanceMode.Canonical, initialCapacity: 64 + (BlockSize * 5));
        VllmBlockHash parent = NoneHash;
        for (int b = 0; b < blocks; b++)
        {
            parent = HashBlock(writer, parent, tokens.Slice(b * BlockSize, BlockSize), b == 0 ? cacheSalt : null);
            destination[b] = parent;
        }

        return blocks;
    }

    /// <summary>Hashes one full block after <paramref name="parent"/> (use <see cref="NoneHash"/> for a first block).</summary>
    /// <exception cref="ArgumentException"><paramref name="blockTokens"/> is not one block long.</exception>
    public VllmBlockHash HashBlock(VllmBlockHash parent, ReadOnlySpan<int> blockTokens, string? cacheSalt = null)
    {
        if (blockTokens.Length != BlockSize)
        {
            ThrowHelper.ThrowArgument(nameof(blockTokens), $"A block is {BlockSize} tokens; got {blockTokens.Length}.");
        }

        return HashBlock(new CborWriter(CborConformanceMode.Canonical), parent, blockTokens, cacheSalt);
    }

    private VllmBlockHash HashBlock(CborWriter writer, VllmBlockHash parent, ReadOnlySpan<int> blockTokens, string? cacheSalt)
    {
        writer.Reset();
        writer.WriteStartArray(3);
        Span<byte> parentBytes = stackalloc byte[VllmBlockHash.Length];
        parent.WriteTo(parentBytes);
        writer.WriteByteString(parentBytes);
        writer.WriteStartArray(blockTokens.Length);
        foreach (int token in blockTokens)
        {
            writer.WriteInt32(token);
        }

        writer.WriteEndArray();
        string? salt = string.IsNullOrEmpty(cacheSalt) ? null : cacheSalt;
        int extra = (_loraName is null ? 0 : 1) + (salt is null ? 0 : 1);
        if (extra == 0)
        {
            writer.WriteNull();
        }
        else
        {
            // vLLM's order: LoRA keys, multimodal keys, cache salt (first block only), prompt-embedding keys.
            writer.WriteStartArray(extra);
            if (_loraName is not null)
            {
                writer.WriteTextString(_loraName);
            }

            if (salt is not null)
            {
                writer.WriteTextString(salt);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        return Digest(writer);
    }

    private static VllmBlockHash Digest(CborWriter writer)
    {
        int length = writer.BytesWritten;
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int written = writer.Encode(rented);
            Span<byte> digest = stackalloc byte[VllmBlockHash.Length];
            SHA256.HashData(rented.AsSpan(0, written), digest);
            return new VllmBlockHash(digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
