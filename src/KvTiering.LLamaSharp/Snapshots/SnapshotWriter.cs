using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using LLama.Native;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Saves a llama.cpp sequence as a snapshot (<see cref="SnapshotStore.Write"/>): its waypoints, chunks and manifest,
/// then the waypoints repointed and the shorter snapshots it supersedes removed; then starts its copy to the shared
/// tier (<see cref="SnapshotShares"/>) when sharing is on. Not thread-safe: the cache serializes
/// it with restores (the payload buffer and the prompt keys are shared).
/// </summary>
internal sealed class SnapshotWriter(TieredKvStore store, SnapshotStore snapshots, PromptKeys promptKeys, int blockTokens,
    bool removeSuperseded, SnapshotShares? shares)
{
    /// <summary>
    /// Saves <paramref name="sequence"/>, which holds exactly <paramref name="tokens"/>; <paramref name="sharedPrefix"/>
    /// marks it as a prefix other prompts continue, which a longer save does not remove as superseded.
    /// </summary>
    public SnapshotSave Save(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> tokens,
        in BlockContext blockContext, bool sharedPrefix, out int supersededRemoved)
    {
        supersededRemoved = 0;
        if (tokens.Length < blockTokens)
        {
            return new SnapshotSave(SaveOutcome.TooShort, tokens.Length, 0, 0);
        }

        ReadOnlySpan<BlockKey> keys = promptKeys.Compute(tokens).Span;
        BlockKey snapshot = keys[^1];
        if (snapshots.Contains(snapshot))
        {
            return new SnapshotSave(SaveOutcome.AlreadyPresent, tokens.Length, 0, 0);
        }

        long stateLength = SequenceState.Write(context, sequence, PromptKeys.AsInts(tokens), snapshots, out long tokenBytes);
        if (stateLength <= 0)
        {
            return new SnapshotSave(SaveOutcome.Rejected, tokens.Length, 0, 0);
        }

        long payloadLength = tokenBytes + stateLength;
        var manifest = new SnapshotManifest(snapshot, tokens.Length, SnapshotManifest.ChunksFor(payloadLength, store.BlockBytes),
            payloadLength, stateLength, XxHash3.HashToUInt64(snapshots.Buffer.AsSpan(0, (int)payloadLength)), store.BlockBytes,
            sharedPrefix);
        // New waypoints go first: under pressure the store then evicts them, not the snapshot's own chunks. Stored
        // ones (a shared system prompt's) still lead to an earlier snapshot: repointed only once this one is published,
        // so a save that fails (a full disk) leaves them, and the sessions after it still restore the shared prefix.
        snapshots.Waypoints.AddMissing(keys, snapshot, blockContext);
        if (!snapshots.Write(manifest, blockContext))
        {
            snapshots.Waypoints.RemoveAdded(keys);
            return new SnapshotSave(SaveOutcome.Rejected, tokens.Length, 0, 0);
        }

        snapshots.Waypoints.Repoint(keys, snapshot, blockContext);
        if (removeSuperseded)
        {
            supersededRemoved = snapshots.RemoveSuperseded(keys[..^1]);
        }

        // Published here first; its copy to the shared tier (if any) follows in the background, chunks before manifest.
        return new SnapshotSave(SaveOutcome.Stored, tokens.Length, stateLength, manifest.ChunkCount + 1)
        {
            Share = shares?.Start(snapshot, manifest.ChunkCount, snapshots.Waypoints.KeysOf(keys)),
        };
    }
}
