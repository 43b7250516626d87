using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using KvTiering.Blocks;
using KvTiering.Diagnostics;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Distributed;

namespace KvTiering.Caching;

public sealed partial class KvTieringDistributedCache
{
    /// <summary>
    /// Writes the chunks (under a fresh nonce) and then swaps the manifest in, so a reader sees the old entry or the
    /// new one, never a mixture; the old entry's chunks are removed after the swap. A value the store cannot keep
    /// removes the old entry, so a later read misses rather than returning a value the caller replaced.
    /// </summary>
    private void Write(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
    {
        long now = NowTicks;
        long absolute = AbsoluteExpiry(options, now);
        if (value.Length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value.Length,
                $"A cached value of {value.Length} bytes exceeds the largest array, {Array.MaxLength} bytes.");
        }

        using EncodedKey k = Encode(key);
        var m = new CacheManifest
        {
            KeyLength = k.Utf8.Length,
            ValueLength = (int)value.Length,
            Nonce = NewNonce(),
            ValueHash = Hash(value),
            AbsoluteTicks = absolute,
            SlidingTicks = options.SlidingExpiration?.Ticks ?? 0,
            LastAccessTicks = now,
        };

        byte[] block = ArrayPool<byte>.Shared.Rent(_blockBytes);
        try
        {
            int inlineRoom = _blockBytes - CacheManifest.HeaderBytes - m.KeyLength;
            if (m.ValueLength <= inlineRoom)
            {
                m.Inline = true;
                value.CopyTo(block.AsSpan(CacheManifest.HeaderBytes + m.KeyLength));
            }
            else
            {
                m.ChunkCount = (int)(((long)m.ValueLength + _blockBytes - 1) / _blockBytes);
                if (m.ChunkCount + 1L > _capacityBlocks)
                {
                    Log.CacheValueTooLarge(_logger, m.ValueLength, m.ChunkCount + 1L, _capacityBlocks);
                    Delete(k);
                    return;
                }

                if (!WriteChunks(k.Manifest, m, value, block))
                {
                    Delete(k);
                    return;
                }
            }

            k.Utf8.CopyTo(block.AsSpan(CacheManifest.HeaderBytes));
            m.WriteHeader(block);
            SwapManifest(k, m, block.AsSpan(0, m.BlockLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    private bool WriteChunks(in BlockKey manifestKey, in CacheManifest m, in ReadOnlySequence<byte> value, byte[] scratch)
    {
        BlockKey parent = manifestKey;
        long offset = 0;
        for (int i = 0; i < m.ChunkCount; i++)
        {
            int length = (int)Math.Min(_blockBytes, m.ValueLength - offset);
            ReadOnlySequence<byte> slice = value.Slice(offset, length);
            ReadOnlySpan<byte> bytes;
            if (slice.IsSingleSegment)
            {
                bytes = slice.FirstSpan;
            }
            else
            {
                slice.CopyTo(scratch);
                bytes = scratch.AsSpan(0, length);
            }

            BlockKey chunk = CacheKeys.Chunk(manifestKey, m.Nonce, i);
            PutResult result = _store.Put(chunk, parent, bytes);
            if (result != PutResult.Stored)
            {
                // AlreadyPresent would mean a nonce collision: the resident bytes are not ours, so it fails too.
                Log.CacheWriteNotStored(_logger, result, m.ValueLength);
                for (int j = 0; j < i; j++)
                {
                    _store.Remove(CacheKeys.Chunk(manifestKey, m.Nonce, j));
                }

                return false;
            }

            parent = chunk;
            offset += length;
        }

        return true;
    }

    /// <summary>Replaces whatever manifest the key has with <paramref name="manifest"/>, then drops the old chunks.</summary>
    private void SwapManifest(in EncodedKey k, in CacheManifest m, ReadOnlySpan<byte> manifest)
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(_blockBytes);
        try
        {
            bool hadOld;
            CacheManifest old;
            PutResult result;
            lock (StripeOf(k.Manifest))
            {
                hadOld = TryReadManifest(k, scratch, out old);
                _store.Remove(k.Manifest);
                result = _store.Put(k.Manifest, BlockKey.Empty, manifest);
            }

            if (hadOld)
            {
                RemoveChunks(k.Manifest, old);
            }

            if (result != PutResult.Stored)
            {
                Log.CacheWriteNotStored(_logger, result, m.ValueLength);
                RemoveChunks(k.Manifest, m);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Removes the key's manifest and chunks, if it has an entry.</summary>
    private void Delete(string key)
    {
        using EncodedKey k = Encode(key);
        Delete(k);
    }

    private void Delete(in EncodedKey k)
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(_blockBytes);
        try
        {
            bool had;
            CacheManifest m;
            lock (StripeOf(k.Manifest))
            {
                had = TryReadManifest(k, scratch, out m);
                if (had)
                {
                    _store.Remove(k.Manifest);
                }
            }

            if (had)
            {
                RemoveChunks(k.Manifest, m);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>The absolute expiry in UTC ticks (0 = none), as MemoryDistributedCache computes it.</summary>
    private static long AbsoluteExpiry(DistributedCacheEntryOptions options, long now)
    {
        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            return now + relative.Ticks;
        }

        if (options.AbsoluteExpiration is { } at)
        {
            if (at.UtcTicks <= now)
            {
                throw new ArgumentOutOfRangeException(nameof(options), at,
                    $"The absolute expiration {at:O} must be in the future (now is {new DateTimeOffset(now, TimeSpan.Zero):O}).");
            }

            return at.UtcTicks;
        }

        return 0;
    }

    private static ulong Hash(in ReadOnlySequence<byte> value)
    {
        if (value.IsSingleSegment)
        {
            return XxHash3.HashToUInt64(value.FirstSpan);
        }

        var hash = new XxHash3();
        foreach (ReadOnlyMemory<byte> segment in value)
        {
            hash.Append(segment.Span);
        }

        return hash.GetCurrentHashAsUInt64();
    }

    private static ulong NewNonce()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}
