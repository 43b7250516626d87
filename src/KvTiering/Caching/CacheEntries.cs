using System.Buffers;
using KvTiering.Blocks;
using KvTiering.Store;
using Microsoft.Extensions.Logging;

namespace KvTiering.Caching;

/// <summary>
/// What <see cref="CacheReader"/> and <see cref="CacheWriter"/> share: the store, the clock, the key encoding, the
/// striped lock that serializes writes, removals and sliding refreshes of one key, and the manifest and chunk
/// operations both sides use.
/// </summary>
internal sealed class CacheEntries
{
    private const int StripeCount = 64;

    private readonly TimeProvider _time;
    private readonly byte[] _prefix;
    private readonly Lock[] _stripes;

    public CacheEntries(TieredKvStore store, TimeProvider time, ILogger logger, string instanceName)
    {
        Store = store;
        _time = time;
        Logger = logger;
        _prefix = CacheKeys.Prefix(instanceName);
        BlockBytes = store.BlockBytes;
        _stripes = new Lock[StripeCount];
        for (int i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = new Lock();
        }

        foreach (TierStatistics tier in store.GetStatistics().Tiers)
        {
            CapacityBlocks += tier.CapacityBlocks;
        }

        MaxKeyBytes = Math.Min(ushort.MaxValue, BlockBytes - CacheManifest.HeaderBytes);
    }

    /// <summary>The store the entries live in.</summary>
    public TieredKvStore Store { get; }

    /// <summary>Where write failures and oversized values are logged.</summary>
    public ILogger Logger { get; }

    /// <summary>The store's block size: a manifest's room and a chunk's length.</summary>
    public int BlockBytes { get; }

    /// <summary>Blocks of every tier together: no value needing more is written.</summary>
    public long CapacityBlocks { get; }

    /// <summary>The longest key, in UTF-8 bytes, that fits a manifest block.</summary>
    public int MaxKeyBytes { get; }

    /// <summary>Now, in UTC ticks.</summary>
    public long NowTicks => _time.GetUtcNow().UtcTicks;

    /// <summary>The lock that serializes changes to one entry.</summary>
    public Lock StripeOf(in BlockKey manifestKey) => _stripes[(int)(manifestKey.Low & (StripeCount - 1))];

    /// <summary>The prefixed UTF-8 key in a pooled buffer, its manifest key, and where the key bytes start.</summary>
    public EncodedCacheKey Encode(string key)
    {
        int max = _prefix.Length + CacheKeys.Utf8.GetMaxByteCount(key.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(max);
        _prefix.CopyTo(buffer, 0);
        int length;
        try
        {
            length = CacheKeys.Utf8.GetBytes(key, buffer.AsSpan(_prefix.Length));
        }
        catch (ArgumentException ex)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new ArgumentException(
                $"A cache key of {key.Length} chars is not valid UTF-16 (it has a lone surrogate), so it has no UTF-8 form.",
                nameof(key), ex);
        }

        if (length > MaxKeyBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new ArgumentException(
                $"Cache key of {length} UTF-8 bytes is too long: blocks of {BlockBytes} bytes hold keys of at most {MaxKeyBytes}.",
                nameof(key));
        }

        return new EncodedCacheKey(buffer, _prefix.Length, length);
    }

    /// <summary>
    /// Reads and checks the manifest block. A block that is no manifest is removed; a manifest of another key (a
    /// 128-bit hash collision) is left alone. Either is a miss.
    /// </summary>
    public bool TryReadManifest(in EncodedCacheKey k, byte[] block, out CacheManifest m)
    {
        m = default;
        if (!Store.TryGet(k.Manifest, block, out int length))
        {
            return false;
        }

        if (!CacheManifest.TryParse(block.AsSpan(0, length), out m))
        {
            Store.Remove(k.Manifest);
            return false;
        }

        return m.Key(block).SequenceEqual(k.Utf8);
    }

    /// <summary>
    /// Drops a broken entry: its manifest, if it is still the one written with the same nonce, and its chunks.
    /// Returns whether another write's manifest has taken its place (so a read may try again).
    /// </summary>
    public bool Discard(in BlockKey manifestKey, in CacheManifest broken)
    {
        bool superseded = false;
        byte[] block = ArrayPool<byte>.Shared.Rent(BlockBytes);
        try
        {
            lock (StripeOf(manifestKey))
            {
                if (Store.TryGet(manifestKey, block, out int length) &&
                    CacheManifest.TryParse(block.AsSpan(0, length), out CacheManifest current))
                {
                    if (current.Nonce == broken.Nonce)
                    {
                        Store.Remove(manifestKey);
                    }
                    else
                    {
                        superseded = true;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }

        RemoveChunks(manifestKey, broken);
        return superseded;
    }

    /// <summary>Removes an entry's chunks (those still resident).</summary>
    public void RemoveChunks(in BlockKey manifestKey, in CacheManifest m)
    {
        for (int i = 0; i < m.ChunkCount; i++)
        {
            Store.Remove(CacheKeys.Chunk(manifestKey, m.Nonce, i));
        }
    }
}
