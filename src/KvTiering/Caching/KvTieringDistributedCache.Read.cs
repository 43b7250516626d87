using System.Buffers;
using System.IO.Hashing;
using KvTiering.Blocks;

namespace KvTiering.Caching;

public sealed partial class KvTieringDistributedCache
{
    /// <summary>How many times a read follows an entry that writers keep replacing before it gives up (misses).</summary>
    private const int MaxReadAttempts = 3;

    /// <summary>Reads a live entry into <paramref name="writer"/> (or a new array), or misses.</summary>
    private bool Read(string key, IBufferWriter<byte>? writer, out byte[]? array)
    {
        array = null;
        using EncodedKey k = Encode(key);
        byte[] block = ArrayPool<byte>.Shared.Rent(_blockBytes);
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
                Discard(k.Manifest, m);
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
    private void Touch(string key)
    {
        using EncodedKey k = Encode(key);
        byte[] block = ArrayPool<byte>.Shared.Rent(_blockBytes);
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
    private bool Open(in EncodedKey k, byte[] block, out CacheManifest m)
    {
        BlockKey manifestKey = k.Manifest;
        bool expired;
        lock (StripeOf(manifestKey))
        {
            if (!TryReadManifest(k, block, out m))
            {
                return false;
            }

            long now = NowTicks;
            expired = m.IsExpired(now);
            if (expired)
            {
                _store.Remove(manifestKey);
            }
            else if (m.SlidingTicks != 0 && m.LastAccessTicks != now)
            {
                // Keys are content addresses to the store, so a changed manifest is a remove and a put. If the put
                // is declined the entry is gone for later reads; this one still answers from the bytes in hand.
                CacheManifest.SetLastAccess(block, m.KeyLength, now);
                m.LastAccessTicks = now;
                _store.Remove(manifestKey);
                _store.Put(manifestKey, BlockKey.Empty, block.AsSpan(0, m.BlockLength));
            }
        }

        if (expired)
        {
            RemoveChunks(manifestKey, m);
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
            int expected = Math.Min(_blockBytes, m.ValueLength - offset);
            BlockKey chunk = CacheKeys.Chunk(manifestKey, m.Nonce, i);
            bool found;
            int written = 0;
            if (expected > 0 && target.Length - offset >= _blockBytes)
            {
                found = _store.TryGet(chunk, target.Slice(offset, _blockBytes), out written);
            }
            else
            {
                // Too little room left for a whole block: read into scratch, so a chunk longer than expected is a
                // mismatch rather than an overrun.
                found = expected > 0 && _store.TryGet(chunk, scratch, out written);
                if (found && written == expected)
                {
                    scratch.AsSpan(0, written).CopyTo(target[offset..]);
                }
            }

            if (!found || written != expected)
            {
                array = null;
                superseded = Discard(manifestKey, m);
                return false;
            }

            offset += written;
        }

        if (offset != m.ValueLength || XxHash3.HashToUInt64(target[..offset]) != m.ValueHash)
        {
            array = null;
            superseded = Discard(manifestKey, m);
            return false;
        }

        writer?.Advance(offset);
        return true;
    }

    /// <summary>
    /// Reads and checks the manifest block. A block that is no manifest is removed; a manifest of another key (a
    /// 128-bit hash collision) is left alone. Either is a miss.
    /// </summary>
    private bool TryReadManifest(in EncodedKey k, byte[] block, out CacheManifest m)
    {
        m = default;
        if (!_store.TryGet(k.Manifest, block, out int length))
        {
            return false;
        }

        if (!CacheManifest.TryParse(block.AsSpan(0, length), out m))
        {
            _store.Remove(k.Manifest);
            return false;
        }

        return m.Key(block).SequenceEqual(k.Utf8);
    }

    /// <summary>
    /// Drops a broken entry: its manifest, if it is still the one written with the same nonce, and its chunks.
    /// Returns whether another write's manifest has taken its place (so a read may try again).
    /// </summary>
    private bool Discard(in BlockKey manifestKey, in CacheManifest broken)
    {
        bool superseded = false;
        byte[] block = ArrayPool<byte>.Shared.Rent(_blockBytes);
        try
        {
            lock (StripeOf(manifestKey))
            {
                if (_store.TryGet(manifestKey, block, out int length) &&
                    CacheManifest.TryParse(block.AsSpan(0, length), out CacheManifest current))
                {
                    if (current.Nonce == broken.Nonce)
                    {
                        _store.Remove(manifestKey);
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

    private void RemoveChunks(in BlockKey manifestKey, in CacheManifest m)
    {
        for (int i = 0; i < m.ChunkCount; i++)
        {
            _store.Remove(CacheKeys.Chunk(manifestKey, m.Nonce, i));
        }
    }
}
