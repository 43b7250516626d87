using System.Diagnostics.CodeAnalysis;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using LLama.Native;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// A restore's one job: the longest snapshot a prompt shares (<see cref="SnapshotLoader"/>) into a cleared sequence,
/// trimmed to the prompt and to leave <see cref="LlamaPrefixCacheOptions.MinPrefillTokens"/> to prefill, and, when the
/// prompt left the snapshot well before its end, the shared tokens saved as a snapshot of their own. Not thread-safe:
/// <see cref="LlamaPrefixCache"/> runs it under its lock (the payload buffer and the prompt keys are shared).
/// </summary>
internal sealed class SnapshotRestorer
{
    private readonly SnapshotLoader _loader;
    private readonly SnapshotStore _snapshots;
    private readonly SnapshotWriter _writer;
    private readonly PromptKeys _promptKeys;
    private readonly LlamaPrefixCacheCounters _counters;
    private readonly int _blockTokens;
    private readonly int _minPrefill;
    private readonly bool _saveSharedPrefixes;
    private readonly int _sharedTrimTokens; // a restore that cuts this many tokens off its snapshot found a branch
    private LLamaToken[]? _sharedTokens;    // the shared prefix this restore stored, for the cache to announce
    private SnapshotSave _sharedSave;

    public SnapshotRestorer(TieredKvStore store, SnapshotStore snapshots, SnapshotWriter writer, PromptKeys promptKeys,
        LlamaPrefixCacheCounters counters, int blockTokens, LlamaPrefixCacheOptions options)
    {
        _loader = new SnapshotLoader(store, snapshots);
        _snapshots = snapshots;
        _writer = writer;
        _promptKeys = promptKeys;
        _counters = counters;
        _blockTokens = blockTokens;
        _minPrefill = options.MinPrefillTokens;
        _saveSharedPrefixes = options.SaveSharedPrefixes;
        _sharedTrimTokens = Math.Max(1, options.WaypointInterval) * blockTokens;
    }

    /// <summary>
    /// Restores into <paramref name="sequence"/>, which the caller has cleared; counts corrupt snapshots, refused states
    /// and shared prefixes saved (the caller counts the lookup and its result).
    /// </summary>
    public async Task<PrefixRestore> RestoreAsync(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlyMemory<LLamaToken> prompt,
        CancellationToken cancellationToken)
    {
        _sharedTokens = null;
        int limit = prompt.Length - _minPrefill;
        if (limit < _blockTokens)
        {
            return Miss(RestoreOutcome.Miss, prompt.Length);
        }

        ReadOnlyMemory<BlockKey> keys = _promptKeys.Compute(prompt.Span);
        SnapshotLookup found = await _loader.FindLongestAsync(keys, _promptKeys.Ints(prompt.Span), _blockTokens, cancellationToken)
            .ConfigureAwait(false);
        _counters.Corrupt += found.Corrupt;
        if (!found.Found)
        {
            return Miss(found.Corrupt > 0 ? RestoreOutcome.Corrupt : RestoreOutcome.Miss, prompt.Length);
        }

        SnapshotManifest manifest = found.Manifest;
        int keep = Math.Min(found.MatchedTokens, limit);
        if (!SequenceState.Read(context, sequence, _snapshots.Buffer, manifest))
        {
            _counters.Rejected++;
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
                _counters.Rejected++;
                return Miss(RestoreOutcome.Rejected, prompt.Length);
            }
        }

        if (_saveSharedPrefixes && keep == found.MatchedTokens && manifest.TokenCount - keep >= _sharedTrimTokens)
        {
            SaveSharedPrefix(context, sequence, prompt.Span[..keep]);
        }

        return new PrefixRestore(RestoreOutcome.Restored, prompt.Length, keep, manifest.TokenCount, found.DeepestTier);
    }

    /// <summary>
    /// The prompt left a stored snapshot well before its end: the tokens they share are a prefix at least two prompts
    /// start with (a system prompt, a conversation edited or forked). Saved as their own snapshot, the next prompt that
    /// shares them reads only them, not the whole of whichever session's snapshot a waypoint leads to (in the remote
    /// drill, 22 chunks instead of 175), and a longer save does not remove it as superseded.
    /// </summary>
    private void SaveSharedPrefix(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> shared)
    {
        // The sequence holds exactly the shared tokens now; the save only copies its state out.
        SnapshotSave saved = _writer.Save(context, sequence, shared, new BlockContext(-1, 0), sharedPrefix: true, out int superseded);
        _counters.Saved(saved);
        _counters.SupersededRemoved += superseded;
        if (saved.Outcome == SaveOutcome.Stored)
        {
            _sharedTokens = shared.ToArray(); // once per shared prefix: the owner may keep it
            _sharedSave = saved;
        }
    }

    /// <summary>The shared prefix the last restore stored as a snapshot of its own, once; false if it stored none.</summary>
    public bool TakeSharedPrefix([NotNullWhen(true)] out LLamaToken[]? tokens, out SnapshotSave saved)
    {
        tokens = _sharedTokens;
        saved = _sharedSave;
        _sharedTokens = null;
        return tokens is not null;
    }

    private static PrefixRestore Miss(RestoreOutcome outcome, int promptTokens) => new(outcome, promptTokens, 0, 0, -1);
}
