using System.Buffers;
using System.IO.Hashing;
using KvTiering.Blocks;

namespace KvTiering.Caching;

/// <summary>
/// Reads entries of a <see cref="KvTieringDistributedCache"/>: the manifest, then the chunks outside the entry's lock,
/// verified (every chunk's length, the whole value's hash) before a byte reaches the caller; slides sliding windows.
/// </summary>
internal sealed class CacheReader(CacheEntries entries)
{
    private readonly CacheEntries _entries = entries;

    /// <summary>How many times a read follows an entry that writers keep replacing before it gives up (misses).</summary>
    private const int MaxReadAttempts = 3;

    /// <summary>Reads a live entry into <paramref name="writer"/> (or a new array), or misses.</summary>
    public bool Read(string key, IBufferWriter<byte>? writer, out byte[]? array)
    {
        array = null;
        using EncodedCacheKey k = _entries.Encode(key);
        byte[] block = ArrayPool<byte>.Shared.Rent(_entries.BlockBytes);
        try
        {
            CacheManifest m;
            for (int attempt = 1; ; attempt++)
            {
                if (!Open(k, block, out m))
                {
                    return false;
                }

                if (m.Inline)
                {
                    break;
                }

                if (ReadChunks(k.Manifest, m, block, writer, out array, out bool superseded))
                {
                    return true;
                }

                // A writer replaced the entry while its chunks were being read: read the newer one instead.
                if (!superseded || attempt == MaxReadAttempts)
                {
                    return false;
                }
            }

            ReadOnlySpan<byte> value = m.InlineValue(block);
            if (XxHash3.HashToUInt64(value) != m.ValueHash)
            {
                _entries.Discard(k.Manifest, m);
                return false;
            }

            if (writer is null)
            {
                array = value.ToArray();
            }
            else
            {
                value.CopyTo(writer.GetSpan(value.Length));
                writer.Advance(value.Length);
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Slides a live entry's window without reading its value.</summary>
    public void Touch(string key)
    {
        using EncodedCacheKey k = _entries.Encode(key);
        byte[] block = ArrayPool<byte>.Shared.Rent(_entries.BlockBytes);
        try
        {
            Open(k, block, out _);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>
    /// Reads the manifest of <paramref name="k"/> into <paramref name="block"/>. An expired entry is removed and
    /// misses; a live one with a sliding window has its last access moved to now (the manifest is rewritten).
    /// </summary>
    private bool Open(in EncodedCacheKey k, byte[] block, out CacheManifest m)
    {
        BlockKey manifestKey = k.Manifest;
        bool expired;
        lock (_entries.StripeOf(manifestKey))
        {
            if (!_entries.TryReadManifest(k, block, out m))
            {
                return false;
            }

            long now = _entries.NowTicks;
            expired = m.IsExpired(now);
            if (expired)
            {
                _entries.Store.Remove(manifestKey);
            }
            else if (m.SlidingTicks != 0 && m.LastAccessTicks != now)
            {
                // Keys are content addresses to the store, so a changed manifest is a remove and a put. If the put
                // is declined the entry is gone for later reads; this one still answers from the bytes in hand.
                CacheManifest.SetLastAccess(block, m.KeyLength, now);
                m.LastAccessTicks = now;
                _entries.Store.Remove(manifestKey);
                _entries.Store.Put(manifestKey, BlockKey.Empty, block.AsSpan(0, m.BlockLength));
            }
        }

        if (expired)
        {
            _entries.RemoveChunks(manifestKey, m);
            return false;
        }

        return true;
    }

    /// <summary>Copies every chunk into the destination, verifying each length and the whole value's hash first.</summary>
    private bool ReadChunks(in BlockKey manifestKey, in CacheManifest m, byte[] scratch, IBufferWriter<byte>? writer,
        out byte[]? array, out bool superseded)
    {
        array = null;
        superseded = false;
        Span<byte> target;
        if (writer is null)
        {
            array = GC.AllocateUninitializedArray<byte>(m.ValueLength);
            target = array;
        }
        else
        {
            target = writer.GetSpan(m.ValueLength);
        }

        int offset = 0;
        for (int i = 0; i < m.ChunkCount; i++)
        {
            int expected = Math.Min(_entries.BlockBytes, m.ValueLength - offset);
            BlockKey chunk = CacheKeys.Chunk(manifestKey, m.Nonce, i);
            bool found;
            int written = 0;
            if (expected > 0 && target.Length - offset >= _entries.BlockBytes)
            {
                found = _entries.Store.TryGet(chunk, target.Slice(offset, _entries.BlockBytes), out written);
            }
            else
            {
                // Too little room left for a whole block: read into scratch, so a chunk longer than expected is a
                // mismatch rather than an overrun.
                found = expected > 0 && _entries.Store.TryGet(chunk, scratch, out written);
                if (found && written == expected)
                {
                    scratch.AsSpan(0, written).CopyTo(target[offset..]);
                }
            }

            if (!found || written != expected)
            {
                array = null;
                superseded = _entries.Discard(manifestKey, m);
                return false;
            }

            offset += written;
        }

        if (offset != m.ValueLength || XxHash3.HashToUInt64(target[..offset]) != m.ValueHash)
        {
            array = null;
            superseded = _entries.Discard(manifestKey, m);
            return false;
        }

        writer?.Advance(offset);
        return true;
    }
}
