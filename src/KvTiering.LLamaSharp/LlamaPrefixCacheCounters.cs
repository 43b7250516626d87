namespace KvTiering.LLamaSharp;

/// <summary>
/// The counters behind <see cref="LlamaPrefixCache.GetStatistics"/>: lookups and what they restored, saves and what
/// they stored, snapshots found corrupt, states refused, superseded snapshots removed. Not thread-safe: the cache
/// updates and reads them under its lock.
/// </summary>
internal sealed class LlamaPrefixCacheCounters
{
    /// <summary>Snapshots found corrupt (and removed) on the way to a restore.</summary>
    public long Corrupt;

    /// <summary>States llama.cpp refused, or whose trim did not take.</summary>
    public long Rejected;

    /// <summary>Shorter snapshots removed after a save (<see cref="LlamaPrefixCacheOptions.RemoveSupersededSnapshots"/>).</summary>
    public long SupersededRemoved;

    private long _lookups;
    private long _hits;
    private long _tokensRestored;
    private long _tokensToPrefill;
    private long _saves;
    private long _stateBytesSaved;

    /// <summary>A restore starts.</summary>
    public void Lookup() => _lookups++;

    /// <summary>A restore ended with <paramref name="result"/>.</summary>
    public void Restored(PrefixRestore result)
    {
        if (result.IsHit)
        {
            _hits++;
            _tokensRestored += result.RestoredTokens;
        }

        _tokensToPrefill += result.TokensToPrefill;
    }

    /// <summary>A save ended with <paramref name="result"/>.</summary>
    public void Saved(SnapshotSave result)
    {
        if (result.Outcome == SaveOutcome.Stored)
        {
            _saves++;
            _stateBytesSaved += result.StateBytes;
        }
    }

    /// <summary>The counters as the cache's statistics.</summary>
    public LlamaPrefixCacheStatistics ToStatistics() => new()
    {
        Lookups = _lookups,
        Hits = _hits,
        Misses = _lookups - _hits,
        CorruptSnapshots = Corrupt,
        RejectedStates = Rejected,
        TokensRestored = _tokensRestored,
        TokensToPrefill = _tokensToPrefill,
        Saves = _saves,
        StateBytesSaved = _stateBytesSaved,
        SupersededRemoved = SupersededRemoved,
    };
}
