using KvTiering.Blocks;
using KvTiering.LLamaSharp.Snapshots;
using LLama.Native;

namespace KvTiering.LLamaSharp;

public sealed partial class LlamaPrefixCache
{
    /// <summary>
    /// Loads the longest stored snapshot that is a prefix of <paramref name="prompt"/> into <paramref name="sequence"/>,
    /// trimmed to the last token block the prompt shares with it (and to leave
    /// <see cref="LlamaPrefixCacheOptions.MinPrefillTokens"/> to prefill). The sequence is cleared first, so afterwards it
    /// holds exactly the prompt's first <see cref="PrefixRestore.RestoredTokens"/> tokens — none on a miss. Never
    /// throws for a missing, corrupt or refused snapshot: the result says to prefill.
    /// </summary>
    /// <param name="context">The llama.cpp context; not used concurrently by anyone else during the call.</param>
    /// <param name="sequence">The sequence to fill.</param>
    /// <param name="prompt">The whole prompt, from position 0.</param>
    public PrefixRestore Restore(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> prompt)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (_gate)
        {
            _lookups++;
            context.MemorySequenceRemove(sequence, -1, -1);
            PrefixRestore result = RestoreLocked(context, sequence, prompt);
            if (result.IsHit)
            {
                _hits++;
                _tokensRestored += result.RestoredTokens;
            }

            _tokensToPrefill += result.TokensToPrefill;
            return result;
        }
    }

    private PrefixRestore RestoreLocked(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> prompt)
    {
        int limit = prompt.Length - _minPrefill;
        var outcome = RestoreOutcome.Miss;
        if (limit < _blockTokens)
        {
            return Miss(outcome, prompt.Length);
        }

        ReadOnlySpan<BlockKey> keys = ComputeKeys(prompt);
        for (int i = keys.Length - 1; i >= 0; i--)
        {
            BlockKey snapshot;
            BlockKey waypoint = default;
            if (_store.Contains(SnapshotKeys.Manifest(keys[i])))
            {
                snapshot = keys[i];
            }
            else if (_waypointInterval > 0 && (i + 1) % _waypointInterval == 0
                && _store.Contains(waypoint = SnapshotKeys.Waypoint(keys[i])))
            {
                if (!TryReadWaypoint(waypoint, out snapshot))
                {
                    continue;
                }
            }
            else
            {
                continue;
            }

            LoadResult load = Load(snapshot, out SnapshotManifest manifest, out int tier);
            if (load != LoadResult.Loaded)
            {
                // The manifest was just seen resident, so reading nothing means its bytes failed verification;
                // through a waypoint, the snapshot may simply have been evicted since.
                if (load == LoadResult.Corrupt || (load == LoadResult.Missing && waypoint.IsEmpty))
                {
                    _corrupt++;
                    outcome = RestoreOutcome.Corrupt;
                }

                if (!waypoint.IsEmpty)
                {
                    _store.Remove(waypoint); // it points at nothing usable now
                }

                continue;
            }

            // The tokens stored with the snapshot locate the exact divergence; keys only say "same up to block i".
            ReadOnlySpan<int> covered = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(
                _payload.AsSpan(0, (int)manifest.TokenBytes));
            int common = AsInts(prompt).CommonPrefixLength(covered);
            int matched = common / _blockTokens * _blockTokens;
            if (matched < (i + 1) * _blockTokens)
            {
                continue; // a 128-bit key collision, or a big-endian host: never trust the state
            }

            int keep = Math.Min(matched, limit);
            if (!SetState(context, sequence, manifest))
            {
                _rejected++;
                return Miss(RestoreOutcome.Rejected, prompt.Length);
            }

            if (keep < manifest.TokenCount)
            {
                // Recurrent and sliding-window memories cannot drop a partial sequence; a trim that did not take
                // would leave tokens the prompt does not have.
                context.MemorySequenceRemove(sequence, keep, -1);
                if (context.MemorySequenceMaxPosition(sequence).Value != keep - 1)
                {
                    context.MemorySequenceRemove(sequence, -1, -1);
                    _rejected++;
                    return Miss(RestoreOutcome.Rejected, prompt.Length);
                }
            }

            return new PrefixRestore(RestoreOutcome.Restored, prompt.Length, keep, manifest.TokenCount, tier);
        }

        return Miss(outcome, prompt.Length);
    }

    private static PrefixRestore Miss(RestoreOutcome outcome, int promptTokens) => new(outcome, promptTokens, 0, 0, -1);

    /// <summary>Hands the verified state to llama.cpp; false (and the sequence cleared) when it refuses it.</summary>
    private unsafe bool SetState(SafeLLamaContextHandle context, LLamaSeqId sequence, in SnapshotManifest manifest)
    {
        nuint read;
        fixed (byte* payload = _payload)
        {
            read = context.SetState(payload + manifest.TokenBytes, (nuint)manifest.StateLength, sequence);
        }

        if (read == (nuint)manifest.StateLength
            && context.MemorySequenceMinPosition(sequence).Value == 0
            && context.MemorySequenceMaxPosition(sequence).Value == manifest.TokenCount - 1)
        {
            return true;
        }

        context.MemorySequenceRemove(sequence, -1, -1);
        return false;
    }

    private bool TryReadWaypoint(in BlockKey waypoint, out BlockKey snapshot)
    {
        // TryGet needs room for whatever length is stored; a waypoint of any other size is corrupt anyway.
        Span<byte> bytes = Payload(_chunkBytes).AsSpan(0, _chunkBytes);
        if (_store.TryGet(waypoint, bytes, out int length) && SnapshotWaypoint.TryRead(bytes[..length], out snapshot))
        {
            return true;
        }

        _store.Remove(waypoint);
        snapshot = default;
        return false;
    }
}
