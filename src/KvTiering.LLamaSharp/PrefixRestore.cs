namespace KvTiering.LLamaSharp;

/// <summary>The result of a restore: how much of the prompt the sequence now holds, and where it came from.</summary>
/// <param name="Outcome">Whether a snapshot was restored, and if not, why.</param>
/// <param name="PromptTokens">Tokens in the prompt.</param>
/// <param name="RestoredTokens">Leading prompt tokens the sequence now holds (positions 0 to RestoredTokens − 1); 0 unless restored.</param>
/// <param name="SnapshotTokens">Tokens the restored snapshot covered before it was trimmed to the prompt; 0 unless restored.</param>
/// <param name="SourceTier">The deepest store tier any piece of the snapshot was read from; -1 unless restored.</param>
public readonly record struct PrefixRestore(
    RestoreOutcome Outcome, int PromptTokens, int RestoredTokens, int SnapshotTokens, int SourceTier)
{
    /// <summary>Prompt tokens still to prefill, starting at position <see cref="RestoredTokens"/>.</summary>
    public int TokensToPrefill => PromptTokens - RestoredTokens;

    /// <summary>Whether a snapshot was restored.</summary>
    public bool IsHit => Outcome == RestoreOutcome.Restored;
}
