namespace KvTiering.LLamaSharp;

/// <summary>The result of a save.</summary>
/// <param name="Outcome">Whether the snapshot was stored, and if not, why.</param>
/// <param name="Tokens">Tokens the snapshot covers.</param>
/// <param name="StateBytes">Bytes of llama.cpp sequence state written (0 unless stored).</param>
/// <param name="Chunks">Store blocks the snapshot took, manifest included (0 unless stored).</param>
public readonly record struct SnapshotSave(SaveOutcome Outcome, int Tokens, long StateBytes, int Chunks)
{
    /// <summary>
    /// The copy of the stored snapshot to the store's shared tier, running in the background
    /// (<see cref="LlamaPrefixCacheOptions.ShareSnapshots"/>): chunks first, then the manifest, then the waypoints. Null
    /// when nothing is shared (not stored, sharing off, or no shared tier). Never faults: its result says how far it got.
    /// </summary>
    public Task<SnapshotShare>? Share { get; init; }
}
