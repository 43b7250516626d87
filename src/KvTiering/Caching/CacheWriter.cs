using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using KvTiering.Blocks;
using KvTiering.Diagnostics;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Distributed;

namespace KvTiering.Caching;

/// <summary>
/// Writes and removes entries of a <see cref="KvTieringDistributedCache"/>: chunks under a fresh nonce first, then the
/// manifest swapped in under the entry's lock, then the old entry's chunks removed.
/// </summary>
internal sealed class CacheWriter(CacheEntries entries)
{
    private readonly CacheEntries _entries = entries;

    /// <summary>
    /// Writes the chunks (under a fresh nonce) and then swaps the manifest in, so a reader sees the old entry or the
    /// new one, never a mixture; the old entry's chunks are removed after the swap. A value the store cannot keep
    /// removes the old entry, so a later read misses rather than returning a value the caller replaced.
    /// </summary>
    public void Write(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
    {
        long now = _entries.NowTicks;
        long absolute = AbsoluteExpiry(options, now);
        if (value.Length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value.Length,
                $"A cached value of {value.Length} bytes exceeds the largest array, {Array.MaxLength} bytes.");
        }

        using EncodedCacheKey k = _entries.Encode(key);
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

        byte[] block = ArrayPool<byte>.Shared.Rent(_entries.BlockBytes);
        try
        {
            int inlineRoom = _entries.BlockBytes - CacheManifest.HeaderBytes - m.KeyLength;
            if (m.ValueLength <= inlineRoom)
            {
                m.Inline = true;
                value.CopyTo(block.AsSpan(CacheManifest.HeaderBytes + m.KeyLength));
            }
            else
            {
                m.ChunkCount = (int)(((long)m.ValueLength + _entries.BlockBytes - 1) / _entries.BlockBytes);
                if (m.ChunkCount + 1L > _entries.CapacityBlocks)
                {
                    Log.CacheValueTooLarge(_entries.Logger, m.ValueLength, m.ChunkCount + 1L, _entries.CapacityBlocks);
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
            int length = (int)Math.Min(_entries.BlockBytes, m.ValueLength - offset);
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
            PutResult result = _entries.Store.Put(chunk, parent, bytes);
            if (result != PutResult.Stored)
            {
                // AlreadyPresent would mean a nonce collision: the resident bytes are not ours, so it fails too.
                Log.CacheWriteNotStored(_entries.Logger, result, m.ValueLength);
                for (int j = 0; j < i; j++)
                {
                    _entries.Store.Remove(CacheKeys.Chunk(manifestKey, m.Nonce, j));
                }

                return false;
            }

            parent = chunk;
            offset += length;
        }

        return true;
    }

    /// <summary>Replaces whatever manifest the key has with <paramref name="manifest"/>, then drops the old chunks.</summary>
    private void SwapManifest(in EncodedCacheKey k, in CacheManifest m, ReadOnlySpan<byte> manifest)
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(_entries.BlockBytes);
        try
        {
            bool hadOld;
            CacheManifest old;
            PutResult result;
            lock (_entries.StripeOf(k.Manifest))
            {
                hadOld = _entries.TryReadManifest(k, scratch, out old);
                _entries.Store.Remove(k.Manifest);
                result = _entries.Store.Put(k.Manifest, BlockKey.Empty, manifest);
            }

            if (hadOld)
            {
                _entries.RemoveChunks(k.Manifest, old);
            }

            if (result != PutResult.Stored)
            {
                Log.CacheWriteNotStored(_entries.Logger, result, m.ValueLength);
                _entries.RemoveChunks(k.Manifest, m);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Removes the key's manifest and chunks, if it has an entry.</summary>
    public void Delete(string key)
    {
        using EncodedCacheKey k = _entries.Encode(key);
        Delete(k);
    }

    private void Delete(in EncodedCacheKey k)
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(_entries.BlockBytes);
        try
        {
            bool had;
            CacheManifest m;
            lock (_entries.StripeOf(k.Manifest))
            {
                had = _entries.TryReadManifest(k, scratch, out m);
                if (had)
                {
                    _entries.Store.Remove(k.Manifest);
                }
            }

            if (had)
            {
                _entries.RemoveChunks(k.Manifest, m);
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
