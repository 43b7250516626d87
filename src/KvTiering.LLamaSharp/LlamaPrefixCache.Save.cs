using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.LLamaSharp.Snapshots;
using KvTiering.Store;
using LLama.Native;

namespace KvTiering.LLamaSharp;

public sealed partial class LlamaPrefixCache
{
    /// <summary>
    /// Stores <paramref name="sequence"/>'s state as a prefix snapshot of <paramref name="tokens"/>, keyed by the block
    /// key of their last full block. The sequence must hold exactly these tokens at positions 0 to
    /// <c>tokens.Length − 1</c> (trim generated tokens off first if they should not be covered). Writes the waypoints,
    /// the chunks, then the manifest; a piece the store declines undoes the whole snapshot.
    /// </summary>
    /// <param name="context">The llama.cpp context; not used concurrently by anyone else during the call.</param>
    /// <param name="sequence">The sequence to save.</param>
    /// <param name="tokens">The tokens the sequence holds, from position 0.</param>
    /// <param name="session">The session the blocks belong to, for session-aware eviction policies (0 when unknown).</param>
    /// <exception cref="ArgumentException">The sequence does not hold exactly <paramref name="tokens"/>' positions.</exception>
    public SnapshotSave Save(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> tokens, long session = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        int first = context.MemorySequenceMinPosition(sequence).Value;
        int last = context.MemorySequenceMaxPosition(sequence).Value;
        bool empty = last < 0;
        if (empty ? !tokens.IsEmpty : (first != 0 || last != tokens.Length - 1))
        {
            ThrowHelper.ThrowArgument(nameof(tokens),
                $"Sequence {sequence.Value} holds positions {first} to {last}, but {tokens.Length} tokens were given: a snapshot covers exactly the tokens its sequence holds, from position 0.");
        }

        lock (_gate)
        {
            SnapshotSave result = SaveLocked(context, sequence, tokens, new BlockContext(-1, session));
            if (result.Outcome == SaveOutcome.Stored)
            {
                _saves++;
                _stateBytesSaved += result.StateBytes;
            }

            return result;
        }
    }

    private SnapshotSave SaveLocked(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> tokens,
        in BlockContext blockContext)
    {
        if (tokens.Length < _blockTokens)
        {
            return new SnapshotSave(SaveOutcome.TooShort, tokens.Length, 0, 0);
        }

        ReadOnlySpan<BlockKey> keys = ComputeKeys(tokens);
        BlockKey snapshot = keys[^1];
        if (_store.Contains(SnapshotKeys.Manifest(snapshot)))
        {
            return new SnapshotSave(SaveOutcome.AlreadyPresent, tokens.Length, 0, 0);
        }

        long stateLength = WriteState(context, sequence, tokens, out long tokenBytes);
        if (stateLength <= 0)
        {
            return new SnapshotSave(SaveOutcome.Rejected, tokens.Length, 0, 0);
        }

        long payloadLength = tokenBytes + stateLength;
        var manifest = new SnapshotManifest(snapshot, tokens.Length, SnapshotManifest.ChunksFor(payloadLength, _chunkBytes),
            payloadLength, stateLength, XxHash3.HashToUInt64(_payload.AsSpan(0, (int)payloadLength)), _chunkBytes);
        // Waypoints go first: under pressure the store then evicts them, not the snapshot's own chunks.
        WriteWaypoints(keys, snapshot, blockContext);
        if (!WriteChunks(manifest, blockContext))
        {
            RemoveWaypoints(keys);
            return new SnapshotSave(SaveOutcome.Rejected, tokens.Length, 0, 0);
        }

        if (_removeSuperseded)
        {
            RemoveSuperseded(keys[..^1]);
        }

        return new SnapshotSave(SaveOutcome.Stored, tokens.Length, stateLength, manifest.ChunkCount + 1);
    }

    /// <summary>Writes the token ids and the sequence state into the payload buffer; returns the state's length, or 0.</summary>
    private unsafe long WriteState(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> tokens,
        out long tokenBytes)
    {
        tokenBytes = (long)tokens.Length * sizeof(int);
        long size = (long)context.GetStateSize(sequence);
        if (size <= 0 || tokenBytes + size > Array.MaxLength)
        {
            return 0;
        }

        byte[] buffer = Payload(tokenBytes + size);
        ReadOnlySpan<int> ids = AsInts(tokens);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(ids).CopyTo(buffer);
        }
        else
        {
            for (int i = 0; i < ids.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(i * sizeof(int)), ids[i]);
            }
        }

        fixed (byte* payload = buffer)
        {
            return (long)context.GetState(payload + tokenBytes, (nuint)size, sequence);
        }
    }

    /// <summary>Puts every data chunk, then the manifest; on any refusal removes what was put and returns false.</summary>
    private bool WriteChunks(in SnapshotManifest manifest, in BlockContext blockContext)
    {
        BlockKey snapshot = manifest.Snapshot;
        BlockKey parent = BlockKey.Empty;
        long offset = 0;
        for (int c = 1; c <= manifest.ChunkCount; c++)
        {
            BlockKey key = SnapshotKeys.Chunk(snapshot, c);
            ReadOnlySpan<byte> chunk = _payload.AsSpan((int)offset, (int)Math.Min(_chunkBytes, manifest.PayloadLength - offset));
            if (!PutFresh(key, parent, chunk, blockContext))
            {
                RemoveSnapshot(snapshot, c);
                return false;
            }

            parent = key;
            offset += chunk.Length;
        }

        // The manifest goes last, so a reader that finds it finds every chunk it names — unless the store had to
        // evict some of them to take the rest (a snapshot larger than the store): check before publishing.
        Span<byte> bytes = stackalloc byte[SnapshotManifest.Size];
        manifest.WriteTo(bytes);
        if (!AllResident(snapshot, manifest.ChunkCount) || !PutFresh(SnapshotKeys.Manifest(snapshot), parent, bytes, blockContext))
        {
            RemoveSnapshot(snapshot, manifest.ChunkCount);
            return false;
        }

        return true;
    }

    private bool AllResident(in BlockKey snapshot, int chunkCount)
    {
        for (int c = 1; c <= chunkCount; c++)
        {
            if (!_store.Contains(SnapshotKeys.Chunk(snapshot, c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Puts a block, replacing a resident one under the same key (a leftover of an unpublished save may differ).</summary>
    private bool PutFresh(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> bytes, in BlockContext blockContext)
    {
        PutResult result = _store.Put(key, parent, bytes, blockContext);
        if (result == PutResult.AlreadyPresent)
        {
            _store.Remove(key);
            result = _store.Put(key, parent, bytes, blockContext);
        }

        return result == PutResult.Stored;
    }

    /// <summary>Points a waypoint at every <see cref="LlamaPrefixCacheOptions.WaypointInterval"/>-th inner block; best effort.</summary>
    private void WriteWaypoints(ReadOnlySpan<BlockKey> keys, in BlockKey snapshot, in BlockContext blockContext)
    {
        if (_waypointInterval == 0)
        {
            return;
        }

        Span<byte> bytes = stackalloc byte[SnapshotWaypoint.Size];
        SnapshotWaypoint.Write(bytes, snapshot);
        for (int j = _waypointInterval - 1; j < keys.Length - 1; j += _waypointInterval)
        {
            // Newest wins: the latest snapshot through a block is the likeliest to be resident and to go furthest.
            PutFresh(SnapshotKeys.Waypoint(keys[j]), BlockKey.Empty, bytes, blockContext);
        }
    }

    private void RemoveWaypoints(ReadOnlySpan<BlockKey> keys)
    {
        for (int j = _waypointInterval - 1; _waypointInterval > 0 && j < keys.Length - 1; j += _waypointInterval)
        {
            _store.Remove(SnapshotKeys.Waypoint(keys[j]));
        }
    }

    /// <summary>Removes stored snapshots keyed by <paramref name="keys"/> (shorter prefixes of the one just saved).</summary>
    private void RemoveSuperseded(ReadOnlySpan<BlockKey> keys)
    {
        for (int i = keys.Length - 1; i >= 0; i--)
        {
            if (!_store.Contains(SnapshotKeys.Manifest(keys[i])))
            {
                continue;
            }

            RemoveSnapshot(keys[i], Math.Max(0, ReadChunkCount(keys[i])));
            _supersededRemoved++;
        }
    }
}
